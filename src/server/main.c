/* vigild: options and configuration, then the server takes over. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "base/log.h"
#include "server/config.h"
#include "server/server.h"

enum { OPT_DATA_DIR = 256, OPT_LISTEN, OPT_CHECK, OPT_VERSION };

static void usage(FILE *f)
{
    fprintf(f, "%s\n",
            _("usage: vigild [-c FILE] [--data-dir DIR] [--listen ADDR:PORT] [--check-config]\n"
              "              [--version] [--help]\n"
              "\n"
              "  -c, --config FILE    read the YAML configuration FILE\n"
              "      --data-dir DIR   keep the data under DIR (default /var/lib/vigil)\n"
              "      --listen A:P     listen on address A, port P (default 127.0.0.1:8443)\n"
              "      --check-config   check the configuration and the TLS files, then exit\n"
              "      --version        print the version and exit\n"
              "  -h, --help           print this help and exit"));
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"data-dir", required_argument, NULL, OPT_DATA_DIR},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *data_dir = NULL, *listen_addr = NULL;
    bool check = false;
    struct config cfg;
    struct server srv;
    struct verr err;
    int c, rc;

    i18n_init();
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case OPT_DATA_DIR:
            data_dir = optarg;
            break;
        case OPT_LISTEN:
            listen_addr = optarg;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_VERSION:
            printf("vigild %s\n", VIGIL_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vigild: %s '%s'\n", _("unexpected argument"), argv[optind]);
        usage(stderr);
        return 2;
    }

    config_init(&cfg);
    verr_init(&err);
    if (config_path && config_load_file(&cfg, config_path, &err) < 0) {
        fprintf(stderr, "vigild: %s\n", err.msg);
        config_release(&cfg);
        return 2;
    }
    if (data_dir)
        config_set_str(&cfg.data_dir, data_dir);
    if (listen_addr) {
        char host[CONFIG_HOST_MAX];
        uint16_t port;
        if (config_parse_listen(listen_addr, host, &port) < 0) {
            fprintf(stderr, "vigild: --listen: %s '%s'\n",
                    _("expected ADDRESS:PORT with an IP address, got"), listen_addr);
            config_release(&cfg);
            return 2;
        }
        config_set_str(&cfg.listen, listen_addr);
    }
    if (cfg.lang_set)
        i18n_set(cfg.lang);
    log_set_level(cfg.log_level);

    if (check) {
        rc = server_check_config(&cfg, &err);
        if (rc < 0)
            fprintf(stderr, "vigild: %s\n", err.msg);
        else
            printf("vigild: %s\n", _("the configuration is valid"));
        config_release(&cfg);
        return rc < 0 ? 2 : 0;
    }

    rc = server_open(&srv, &cfg, &err);
    if (rc < 0) {
        log_kv(LOG_LVL_ERROR, "cannot start", "error", err.msg, NULL);
        fprintf(stderr, "vigild: %s\n", err.msg);
        config_release(&cfg);
        return 1;
    }
    rc = server_run(&srv);
    server_close(&srv);
    log_kv(LOG_LVL_INFO, "stopped", NULL);
    config_release(&cfg);
    return rc < 0 ? 1 : 0;
}
