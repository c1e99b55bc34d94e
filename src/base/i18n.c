/* Compiled-in Vietnamese catalog (i18n.h). */
#include <string.h>

#include "base/common.h"
#include "base/i18n.h"

struct i18n_entry {
    const char *msgid;
    const char *msgstr;
};

#include "i18n_catalog.h"

static _Thread_local enum lang cur_lang = LANG_VI;
static enum lang default_lang = LANG_VI;
static bool default_set;

enum lang i18n_parse(const char *s)
{
    if (!s)
        return LANG_VI;
    while (*s == ' ')
        s++;
    if ((s[0] == 'e' || s[0] == 'E') && (s[1] == 'n' || s[1] == 'N') &&
        (s[2] == '\0' || s[2] == '-' || s[2] == '_' || s[2] == '.' || s[2] == ',' ||
         s[2] == ';' || s[2] == ':' || s[2] == ' '))
        return LANG_EN;
    return LANG_VI;
}

void i18n_init(void)
{
    static const char *vars[] = {"VIGIL_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    enum lang l = LANG_VI;
    for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            /* C/POSIX locales say nothing about language: keep looking. */
            if (strcmp(v, "C") == 0 || strcmp(v, "POSIX") == 0 || strncmp(v, "C.", 2) == 0)
                continue;
            l = i18n_parse(v);
            break;
        }
    }
    default_lang = l;
    default_set = true;
    cur_lang = l;
}

void i18n_set(enum lang l)
{
    cur_lang = l;
    if (!default_set) {
        default_lang = l;
        default_set = true;
    }
}

enum lang i18n_get(void)
{
    return cur_lang;
}

const char *i18n_tr(const char *msgid)
{
    if (cur_lang == LANG_EN || !msgid)
        return msgid;
    size_t lo = 0, hi = ARRAY_SIZE(i18n_vi);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(msgid, i18n_vi[mid].msgid);
        if (c == 0)
            return i18n_vi[mid].msgstr;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return msgid;
}
