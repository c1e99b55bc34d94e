/*
 * vigil-sensor's commands that read traffic: `run -c FILE` (the daemon:
 * NetFlow/IPFIX collector, files read once or followed, pcap; lists from
 * files or vigild; reload on SIGHUP and on a new vigild version; counters
 * on SIGUSR1) and `match --list L [--format F] FILE...` (one shot, hits to
 * stdout). Both return the process exit code.
 */
#ifndef VIGIL_SENSOR_RUN_H
#define VIGIL_SENSOR_RUN_H

#include "base/common.h"

int sensor_cmd_run(const char *config_path, bool check_only);
int sensor_cmd_match(int argc, char **argv);
/* `report --hits FILE... [--from T] [--to T] [--top N] [--json]` (report.c). */
int sensor_cmd_report(int argc, char **argv);

#endif
