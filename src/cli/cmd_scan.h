/* `vigil scan` and `vigil quarantine`: offline malware scanning (src/scan). */
#ifndef VIGIL_CLI_CMD_SCAN_H
#define VIGIL_CLI_CMD_SCAN_H

#include <stdio.h>

/*
 * vigil scan PATH... [--rules DIR|FILE]... [--hashes FILE]... [--quarantine]
 *   [--threads N] [--max-size SIZE] [--exclude GLOB]... [--one-file-system]
 *   [--cache DIR] [--json] ...
 * argv[0] is "scan". Returns the exit status: 0 nothing found, 1 something
 * found, 2 usage or input error (bad rules or lists, a missing PATH).
 */
int cmd_scan(int argc, char **argv);
void scan_usage(FILE *f);

/*
 * vigil quarantine list | restore ID | purge [--older-than DAYS]
 *   [--dir DIR] [--json]
 * argv[0] is "quarantine". Returns 0, or 2 on a usage error or a failure.
 */
int cmd_quarantine(int argc, char **argv);
void quarantine_usage(FILE *f);

#endif
