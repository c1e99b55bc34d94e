/*
 * Internals shared by attrib.c (the index) and its readers attrib_radius.c
 * and attrib_dhcp.c. Not for use outside these files.
 */
#ifndef VIGIL_SENSOR_ATTRIB_IMPL_H
#define VIGIL_SENSOR_ATTRIB_IMPL_H

#include <stdio.h>

#include "base/vec.h"
#include "sensor/attrib.h"

/* Bounds on what a source file controls. */
#define ATTRIB_LINE_MAX     8192        /* bytes in a line (longer: the record is malformed) */
#define ATTRIB_STR_MAX      255         /* bytes in a user, calling id, session id, hostname */
#define ATTRIB_ATTRS_MAX    512         /* attributes in a RADIUS record, statements in a lease */
#define ATTRIB_SESSIONS_MAX (1u << 24)  /* open RADIUS sessions */
#define ATTRIB_ITEMS_MAX    0xfffffff0u /* intervals and ends before build */
#define ATTRIB_TIME_MAX     INT64_MAX   /* "never" */

/* A raw item whose sub is ATTRIB_SUB_END is an end (attrib_add_end). */
#define ATTRIB_SUB_END UINT32_MAX

/* One key of the index: an address or prefix. */
struct attrib_key {
    uint64_t hi, lo; /* the prefix (IPv4 in lo), host bits zero */
    uint32_t first;  /* first interval, after build */
    uint32_t n;      /* raw items while loading, intervals after build */
    uint8_t tag;     /* prefix length, plus ATTRIB_TAG_V4 for IPv4 */
};
#define ATTRIB_TAG_V4 160

/* A subscriber: offsets into the string table (0: none). */
struct attrib_sub {
    uint32_t user, calling, session, source;
};

/* Open-addressing table of uint32 ids (slot value id + 1, 0 empty). */
struct attrib_idtab {
    uint32_t *slots;
    size_t alloc; /* a power of two, or 0 */
    size_t n;
};

struct radius_state;

struct attrib {
    /* Strings: NUL-terminated, interned; offset 0 is "". */
    VEC(char) strs;
    struct attrib_idtab str_tab;
    VEC(struct attrib_sub) subs;
    struct attrib_idtab sub_tab;
    VEC(struct attrib_key) keys;
    struct attrib_idtab key_tab;

    /* Items in load order while loading; intervals grouped by key, sorted
     * and non-overlapping after build (key_of is then freed). */
    int64_t *start, *end;
    uint32_t *sub, *key_of;
    size_t n_items, alloc_items;

    /* Prefix lengths present, longest first, per family (after build). */
    uint8_t lens4[33], lens6[129];
    unsigned n_lens4, n_lens6;

    struct attrib_counters counters;
    bool built;

    int64_t grace_default_ms;
    unsigned grace_multiple;
    int32_t utc_offset;
    struct radius_state *radius; /* open sessions (attrib_radius.c) */
};

/* Lines of a file or a memory block, bounded, '\r\n' or '\n' ended. */
struct attrib_lines {
    FILE *f; /* NULL for memory */
    const char *name;
    char *buf; /* file mode: owned read buffer */
    const char *data;
    size_t start, end, alloc;
    bool eof, skipping;
    bool too_long; /* the line just returned was cut at ATTRIB_LINE_MAX */
    unsigned line; /* number of the line just returned, from 1 */
    int err;       /* read error (negative errno) */
};

/* Next line into (*ret, *ret_len), valid until the next call. Returns 1, 0
 * at the end, or a negative errno on a read error. */
int attrib_lines_next(struct attrib_lines *l, const char **ret, size_t *ret_len);

/* A reader: parse all lines into a (records, intervals, malformed). */
typedef int (*attrib_reader_fn)(struct attrib *a, struct attrib_lines *l, struct verr *err);

/* Count a malformed record of the source at line and describe it in err
 * (reason is an untranslated N_() message). */
void attrib_malformed(struct attrib *a, struct attrib_lines *l, unsigned line, const char *reason,
                      struct verr *err);

/* Intern (p, len) (len <= ATTRIB_STR_MAX is the caller's check); 0 for an
 * empty string. Returns 0 or the offset; -E2BIG past 4 GiB of strings is
 * reported as UINT32_MAX. */
uint32_t attrib_intern(struct attrib *a, const char *p, size_t len);
/* Intern a subscriber; UINT32_MAX past the limit. */
uint32_t attrib_sub_id(struct attrib *a, const struct attrib_sub *s);
/* Add an interval of sub (an id from attrib_sub_id) or an end (sub
 * ATTRIB_SUB_END, start_ms == end_ms). Empty intervals are ignored.
 * Returns 0 or -E2BIG. */
int attrib_item(struct attrib *a, const struct ip_prefix *p, int64_t start_ms, int64_t end_ms,
                uint32_t sub);

/* Civil UTC time to Unix seconds; -1 when a field is out of range. */
int64_t attrib_civil(int64_t y, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s);
/* Parse "HH:MM:SS" into seconds of the day; -1 if malformed. */
int64_t attrib_hms(const char *p, size_t len);

/* RADIUS: close the sessions never stopped (grace rule) and free the state. */
int attrib_radius_finish(struct attrib *a);
void attrib_radius_free(struct attrib *a);

int attrib_read_radius(struct attrib *a, struct attrib_lines *l, struct verr *err);
int attrib_read_dhcpd(struct attrib *a, struct attrib_lines *l, struct verr *err);
int attrib_read_kea(struct attrib *a, struct attrib_lines *l, struct verr *err);

#endif
