/* ms_record -- the `wsmock record` proxy and `wsmock import-har`: captured sessions as scenarios.
 */
#ifndef MS_RECORD_H
#define MS_RECORD_H

#include <stddef.h>

/*
 * `wsmock record --upstream URL --port P --out FILE [--host ADDR]` (argv[0] is "record"): a
 * transparent recording proxy (see --help). Runs until SIGINT/SIGTERM, then writes FILE. Returns
 * the exit code: 0 (stopped by a signal and FILE written, or --help), 1 (cannot listen, cannot
 * write FILE, poll failed), 2 (bad arguments). Borrows argv; the process's SIGINT, SIGTERM and
 * SIGPIPE handling is changed for the duration of the call.
 */
int ms_record_main(int argc, char **argv);

/*
 * `wsmock import-har FILE.har --out FILE.json` (argv[0] is "import-har"): writes the WebSocket
 * sessions of a HAR file as a scenario (see --help). Returns the exit code: 0 (written, or
 * --help), 1 (cannot write the output), 2 (bad arguments or bad input: one line on stderr naming
 * the file and the JSON path). Borrows argv.
 */
int ms_import_har_main(int argc, char **argv);

/*
 * Splits an upstream URL "http://HOST[:PORT][/]" (also ws://; IPv6 as [ADDR]; default port 80)
 * into host and port (NUL-terminated, hostlen / portlen bytes). Returns NULL, or a static text
 * saying what is wrong with it.
 */
const char *ms_record_parse_upstream(const char *url, char *host, size_t hostlen, char *port,
                                     size_t portlen);

#endif
