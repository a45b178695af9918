/* wsmock -- entry point: parse options, create the server, run the loop, clean up. */
#include <stdio.h>
#include "ms_options.h"
#include "ms_server.h"

int main(int argc, char **argv)
{
    struct ms_options opt;
    ms_options_defaults(&opt);
    int rc = ms_options_parse(&opt, argc, argv, stdout, stderr);
    if (rc)
        return rc == 1 ? 0 : 2;
    static struct ms_server srv;
    if (ms_server_create(&srv, &opt)) {
        ms_server_destroy(&srv);
        return 1;
    }
    rc = ms_server_run(&srv);
    ms_server_destroy(&srv);
    return rc;
}
