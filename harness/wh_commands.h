/* wh_commands -- the subcommands of wsharness; each returns the process exit code. */
#ifndef WH_COMMANDS_H
#define WH_COMMANDS_H

/* argv[0] is the subcommand's name. Exit codes: 0 ok/healthy, 1 problem found (or a failed
 * check), 2 usage error. Each accepts --help. */
int wh_doctor_main(int argc, char **argv);  /* wh_doctor.c */
int wh_conform_main(int argc, char **argv); /* wh_conform.c */
int wh_backoff_main(int argc, char **argv); /* wh_backoff.c */
int wh_client_main(int argc, char **argv);  /* wh_client_cmd.c */
int wh_bench_main(int argc, char **argv);   /* wh_bench_cmd.c */

#endif
