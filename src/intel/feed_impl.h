/*
 * Internal interface between the feed dispatcher (feed.c) and the readers
 * (feed_*.c). Not for use outside src/intel.
 *
 * feed.c checks the whole document, splits it into lines (bounded by
 * max_line, CR stripped, each checked as UTF-8) and hands each line to the
 * reader's line function; STIX takes the whole document instead. Readers
 * report indicators with feed_add() and bad lines with feed_error_add()
 * (at most once a line: the first problem found), and count data lines in
 * f->n_data. A reader that hits a whole-document problem sets c->fatal with
 * verr_set(c->err, ...).
 */
#ifndef VIGIL_INTEL_FEED_IMPL_H
#define VIGIL_INTEL_FEED_IMPL_H

#include "base/hashmap.h"
#include "intel/feed.h"

struct feed_ctx {
    const struct feed_opts *o;
    struct feed *f;
    struct verr *err;
    int fatal;       /* 0, or the negative code feed_parse() returns */
    uint64_t *dedup; /* hash tag << 32 | item index + 1; 0 empty */
    size_t dedup_mask;
    uint64_t seed;
    struct strmap strings; /* interned malware / ISP names -> arena copies */
    char *scratch;         /* max_line + 1 bytes for unquoting fields */
    void *reader;          /* the reader's state */
};

/* Record a bad line. fmt is already translated (the caller wraps it in _). */
void feed_error_add(struct feed_ctx *c, uint32_t line, const char *field, const char *fmt, ...)
    PRINTF(4, 5);
/* Add an indicator (copied), dropping duplicates. Sets c->fatal past
 * max_indicators. */
void feed_add(struct feed_ctx *c, const struct indicator *ind);
/* A copy of (p, len) in the feed arena, shared between equal strings;
 * NULL when len is 0. Long strings are cut to FEED_STR_MAX at a character
 * boundary. */
#define FEED_STR_MAX 255
const char *feed_intern(struct feed_ctx *c, const char *p, size_t len);
const char *feed_strdup(struct feed_ctx *c, const char *p, size_t len);

/* (p, len) quoted for a message: at most FEED_QUOTE_SRC bytes of it, cut at
 * a character boundary with "...", control characters and backslash as
 * \xNN. Returns out. */
#define FEED_QUOTE_SRC 48
#define FEED_QUOTE_MAX (FEED_QUOTE_SRC * 4 + 8)
const char *feed_quote(const char *p, size_t len, char out[static FEED_QUOTE_MAX]);

/* Shared value checks; each reports its own error and returns false. */
bool feed_ip_value(struct feed_ctx *c, uint32_t line, const char *field, const char *p, size_t len,
                   struct indicator *ind);
bool feed_hash_value(struct feed_ctx *c, uint32_t line, const char *field, const char *p,
                     size_t len, struct indicator *ind);
bool feed_domain_value(struct feed_ctx *c, uint32_t line, const char *field, const char *p,
                       size_t len, struct indicator *ind);
/* A hex digest type for len 32, 40, 64 digits, else 0. */
enum ind_type feed_hash_type(size_t len);

/* ---- CSV core, shared by the CSV, Feodo and MalwareBazaar readers ---- */

enum csv_role {
    COL_NONE = 0,
    COL_IP,
    COL_DOMAIN,
    COL_MD5,
    COL_SHA1,
    COL_SHA256,
    COL_FIRST_SEEN,
    COL_LAST_SEEN,
    COL_MALWARE,
    COL_PORT,
    COL_ASN,
    COL_ISP,
    COL_REF,
    COL__MAX,
};

#define CSV_MAX_COLS 64

struct csv_state {
    char sep;
    bool have_header;
    bool headerless; /* no header: column 0 is the IP, others ignored */
    unsigned n_cols; /* columns in the header (all of them) */
    uint8_t role[CSV_MAX_COLS];
    bool utc[CSV_MAX_COLS];      /* time column named *_utc: zone-less times are UTC */
    char name[CSV_MAX_COLS][24]; /* header text, for error fields */
};

struct csv_field {
    const char *p;
    size_t len;
};

void csv_state_init(struct csv_state *s);
/* The role a header name stands for (English or Vietnamese, any case,
 * accents, spaces, '_' and '-' ignored), and its rank among names of that
 * role (lower is preferred). */
enum csv_role csv_role_of(const char *p, size_t len, unsigned *ret_rank);
/* Most frequent of ',' ';' TAB outside quotes in the line; ',' if none. */
char csv_guess_sep(const char *p, size_t len);
/* Split a line into fields (unquoting into scratch). Stores at most max
 * fields; returns the number of fields, or -1 for an unterminated quote,
 * -2 for text after a closing quote. */
int csv_split(const char *p, size_t len, char sep, struct csv_field *out, size_t max,
              char *scratch);
/* Take the line as the header. Returns true if a column holds indicators
 * (ip, domain or a hash). */
bool csv_header(struct feed_ctx *c, struct csv_state *s, const char *p, size_t len);
/* Use the standard columns names[] as the header. */
void csv_header_fixed(struct feed_ctx *c, struct csv_state *s, const char *const *names, size_t n,
                      char sep);
/* One data row: counts it, adds its indicators or reports the error. */
void csv_row(struct feed_ctx *c, struct csv_state *s, uint32_t line, const char *p, size_t len);

/* ---- readers ---- */

typedef void feed_line_fn(struct feed_ctx *c, uint32_t line, const char *p, size_t len);

feed_line_fn feed_text_line;
feed_line_fn feed_drop_line;
feed_line_fn feed_csv_line;
feed_line_fn feed_feodo_line;
feed_line_fn feed_hashes_line;
feed_line_fn feed_domains_line;
/* Reader state sizes; feed.c allocates and zeroes them. */
size_t feed_csv_state_size(void);
size_t feed_hashes_state_size(void);
void feed_text_expand_range(struct feed_ctx *c, uint32_t line, uint32_t first, uint32_t last);

/* STIX reads the whole document. */
void feed_stix_parse(struct feed_ctx *c, const char *p, size_t len);

/* Blank or comment: the line trimmed is empty or starts with one of
 * comment chars. */
bool feed_line_blank(const char *p, size_t len, const char *comment_chars);

#endif
