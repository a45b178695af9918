/* wsharness -- entry point: dispatches to the subcommands (doctor, conform, backoff, client,
 * bench). */
#include <stdio.h>
#include <string.h>
#include "wh_commands.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"doctor", wh_doctor_main, "diagnose a backend (and a frontend proxy): HTTP, routes, upgrades"},
    {"conform", wh_conform_main, "the protocol conformance suite against any backend (JUnit XML)"},
    {"backoff", wh_backoff_main, "check a client's reconnect attempts against a policy (--svg)"},
    {"client", wh_client_main, "a reconnecting WebSocket client for reproducing by hand"},
    {"bench", wh_bench_main, "measure a server: start-up, connections, memory, fan-out, RTT, soak"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: wsharness COMMAND [options]   (wsharness COMMAND --help for each)\n\n"
               "Tests a WebSocket backend and clients of the ViMax protocol.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nExit status: 0 healthy / passed, 1 a problem found, 2 usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "wsharness: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
