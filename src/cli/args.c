/* Command-line option parsing (see args.h). */
#include "cli/args.h"

#include <string.h>

#include "base/buf.h"
#include "base/str.h"
#include "base/vtime.h"

static const struct arg_opt *find_opt(const struct arg_opt *opts, size_t n_opts, const char *name,
                                      size_t name_len)
{
    for (size_t i = 0; i < n_opts; i++)
        if (strlen(opts[i].name) == name_len && memcmp(opts[i].name, name, name_len) == 0)
            return &opts[i];
    return NULL;
}

int args_parse(int argc, char **argv, const struct arg_opt *opts, size_t n_opts,
               const char **ret_pos, size_t max_pos, size_t *ret_n_pos, struct verr *e)
{
    size_t n_pos = 0;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (n_pos >= max_pos)
                return verr_set(e, -EINVAL, "unexpected argument '%s'", a);
            ret_pos[n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (a[1] != '-')
            return verr_set(e, -EINVAL, "unknown option '%s'", a);
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        const struct arg_opt *o = find_opt(opts, n_opts, a, name_len);
        if (!o)
            return verr_set(e, -EINVAL, "unknown option '%.*s'", (int)name_len, a);
        if (o->kind == ARG_FLAG) {
            if (eq)
                return verr_set(e, -EINVAL, "option %s takes no value", o->name);
            *(bool *)o->ret = true;
            continue;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc)
                return verr_set(e, -EINVAL, "option %s needs a value", o->name);
            v = argv[++i];
        }
        if (o->kind == ARG_STR) {
            *(const char **)o->ret = v;
        } else {
            struct arg_list *l = o->ret;
            if (l->n >= ARGS_MAX_MULTI)
                return verr_set(e, -EINVAL, "option %s given more than %d times", o->name,
                                ARGS_MAX_MULTI);
            l->items[l->n++] = v;
        }
    }
    *ret_n_pos = n_pos;
    return 0;
}

int arg_number(const char *flag, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
               struct verr *e)
{
    uint64_t n;
    if (str_to_u64(v, strlen(v), max, &n) < 0 || n < min)
        return verr_set(e, -EINVAL, "%s: '%s' is not a whole number from %llu to %llu", flag, v,
                        (unsigned long long)min, (unsigned long long)max);
    *ret = n;
    return 0;
}

int arg_date(const char *flag, const char *v, struct verr *e)
{
    int64_t days;
    if (vtime_parse_date(v, strlen(v), &days) < 0)
        return verr_set(e, -EINVAL, "%s: '%s' is not a date YYYY-MM-DD", flag, v);
    return 0;
}

int arg_choice(const char *flag, const char *v, const char *const *choices, struct verr *e)
{
    struct buf list;
    buf_init(&list, 1024);
    for (size_t i = 0; choices[i]; i++) {
        if (strcmp(v, choices[i]) == 0) {
            buf_release(&list);
            return 0;
        }
        if ((i > 0 && buf_puts(&list, ", ") < 0) || buf_puts(&list, choices[i]) < 0)
            break;
    }
    int r = verr_set(e, -EINVAL, "%s: '%s' is not one of: %s", flag, v, buf_str(&list));
    buf_release(&list);
    return r;
}
