/*
 * A configuration document applied to a struct through a table of keys:
 * each key is a dotted name ("limits.max_body_bytes"), a kind and the
 * offset of its field. Sections are the dotted names whose value is a
 * mapping of further keys. Unknown keys, wrong types and values out of
 * range are errors "<file>:<line>: <key>: ..." (nothing is guessed).
 * vigild and vigil-agent describe their files with it (conf/yaml.h reads
 * and parses them).
 */
#ifndef VIGIL_CONF_KEYS_H
#define VIGIL_CONF_KEYS_H

#include <libfyaml.h>

#include "base/common.h"
#include "base/err.h"

#define CONF_FILE_MAX  (1u << 20) /* bytes of a configuration file */
#define CONF_VALUE_MAX 4096       /* bytes of one value */

enum conf_kind {
    CONF_STR,    /* char *, replaced */
    CONF_PATH,   /* char *, an absolute path */
    CONF_BYTES,  /* "1048576", "64KiB", "256MiB", "1GiB" in [min, max] */
    CONF_UINT,   /* a whole number in [min, max] */
    CONF_BOOL,   /* bool: true/yes/on, false/no/off */
    CONF_PATHS,  /* char ** + size_t count at count_off: absolute paths, at most max */
    CONF_LEVEL,  /* enum log_level: debug, info, warn, error */
    CONF_CUSTOM, /* set() does it */
};

struct conf_key;
/* A custom key's setter: val is the key's value node (any type), line the
 * key's line. Returns 0 or -EINVAL with err "file:line: key: ...". */
typedef int (*conf_set_fn)(void *obj, const struct conf_key *k, const char *file, int line,
                           struct fy_node *val, struct verr *err);

struct conf_key {
    const char *name;
    enum conf_kind kind;
    size_t off;        /* the field in the object */
    size_t count_off;  /* CONF_PATHS: the size_t count */
    uint64_t min, max; /* CONF_BYTES, CONF_UINT: the range; CONF_PATHS: max entries */
    uint8_t width;     /* CONF_BYTES, CONF_UINT: sizeof the field (4: unsigned, 8: uint64_t) */
    conf_set_fn set;   /* CONF_CUSTOM */
};

struct conf_table {
    const struct conf_key *keys;
    size_t n_keys;
    const char *const *sections;
    size_t n_sections;
};

/* Table entries for a field f of struct type T. */
#define CONF_FIELD(T, f)         offsetof(T, f), 0, 0, 0, 0, NULL
#define CONF_INT(T, f, lo, hi)   offsetof(T, f), 0, (lo), (hi), sizeof(((T *)0)->f), NULL
#define CONF_LIST(T, f, n, most) offsetof(T, f), offsetof(T, n), 0, (most), 0, NULL
#define CONF_SET(T, f, fn)       offsetof(T, f), 0, 0, 0, 0, (fn)

/* The text of a plain scalar value of 1..CONF_VALUE_MAX bytes without NUL;
 * NULL for anything else (null, alias, mapping, sequence). */
const char *conf_scalar(struct fy_node *n, size_t *ret_len);

/* Apply the YAML text (text, len), named name in messages, to obj. An empty
 * document changes nothing. Returns 0 or a negative code with err. Keys
 * applied before an error stay applied: load into a fresh object. */
int conf_load_text(void *obj, const struct conf_table *t, const char *name, const char *text,
                   size_t len, struct verr *err) WUR;
/* The same from a file of at most CONF_FILE_MAX bytes. */
int conf_load_file(void *obj, const struct conf_table *t, const char *path, struct verr *err) WUR;

/* Free n strings and the array. Accepts NULL. */
void conf_free_strs(char **v, size_t n);

#endif
