/* vigil-sensor: options, then hand over to the command. */
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "sensor/export.h"
#include "sensor/run.h"

static void usage(FILE *f)
{
    fprintf(f, "%s",
            _("Usage: vigil-sensor COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  run -c FILE [--check-config]   run the sensor as configured\n"
              "  match --list FILE [--format F] FILE...\n"
              "                                 match files once, hits as JSON lines\n"
              "  report --hits FILE... [--from T] [--to T] [--top N] [--json]\n"
              "                                 listed addresses and subscribers seen\n"
              "  export --list FILE --format nft|ipset|rpz [--set-name N]\n"
              "                                 a blocklist for nftables, ipset or DNS RPZ\n"
              "  --check-config -c FILE         check the configuration and exit\n"
              "  --version, --help\n"
              "\n"
              "See docs/en/sensor.md (vi: docs/vi/sensor.md).\n"));
}

/* run [-c FILE] [--check-config]; also the bare `--check-config -c FILE`. */
static int cmd_run(int argc, char **argv)
{
    const char *config = "/etc/vigil/sensor.yaml";
    bool check = false;

    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check = true;
        } else if (strcmp(argv[i], "run") != 0) {
            fprintf(stderr, "vigil-sensor: %s: %s\n", _("unknown option"), argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return sensor_cmd_run(config, check);
}

int main(int argc, char **argv)
{
    i18n_init();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("vigil-sensor %s\n", VIGIL_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "--check-config") == 0 || strcmp(cmd, "-c") == 0)
        return cmd_run(argc, argv);
    if (strcmp(cmd, "match") == 0)
        return sensor_cmd_match(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return sensor_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return sensor_cmd_export(argc - 1, argv + 1);
    fprintf(stderr, "vigil-sensor: %s: %s\n", _("unknown command"), cmd);
    usage(stderr);
    return 2;
}
