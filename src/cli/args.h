/*
 * Command-line option parsing for `vigil` commands: long options only
 * ("--feed NAME" or "--feed=NAME"), "--" ends options, everything else is a
 * positional argument. Errors name the option.
 */
#ifndef VIGIL_CLI_ARGS_H
#define VIGIL_CLI_ARGS_H

#include "base/common.h"
#include "base/err.h"

#define ARGS_MAX_MULTI 256 /* values of one repeatable option */

enum arg_kind {
    ARG_FLAG,  /* --json: ret is bool * */
    ARG_STR,   /* --feed NAME: ret is const char ** (the last one given wins) */
    ARG_MULTI, /* --addr CIDR, repeatable: ret is struct arg_list * */
};

struct arg_list {
    const char *items[ARGS_MAX_MULTI];
    size_t n;
};

struct arg_opt {
    const char *name; /* with the dashes: "--feed" */
    enum arg_kind kind;
    void *ret;
};

/* Parse argv[0..argc) against opts. Option values point into argv.
 * Positional arguments are stored in ret_pos (at most max_pos) and counted
 * in *ret_n_pos. Returns 0, or -EINVAL with e naming the offending option or
 * argument (unknown option, missing value, a flag given a value, too many
 * arguments, too many repeats). */
int args_parse(int argc, char **argv, const struct arg_opt *opts, size_t n_opts,
               const char **ret_pos, size_t max_pos, size_t *ret_n_pos, struct verr *e) WUR;

/* Parse v (the value of option flag) as a whole number in [min, max].
 * Returns 0 or -EINVAL with e naming flag and range. */
int arg_number(const char *flag, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
               struct verr *e) WUR;

/* Check that v (the value of flag) is a date YYYY-MM-DD. Returns 0 or -EINVAL. */
int arg_date(const char *flag, const char *v, struct verr *e) WUR;

/* Check that v (the value of flag) is one of the NULL-terminated choices.
 * Returns 0 or -EINVAL with e listing them. */
int arg_choice(const char *flag, const char *v, const char *const *choices, struct verr *e) WUR;

#endif
