/*
 * Bilingual user-facing text: Vietnamese (default) and English.
 *
 * Messages are written in English in the source, wrapped in _(), and
 * translated through a catalog compiled in from the po/ catalogs (scripts/po2c.py).
 * We do not use glibc gettext: it needs a generated locale (vi_VN.UTF-8),
 * which minimal Debian systems do not have, and then silently falls back to
 * English. Selection: i18n_init() reads VIGIL_LANG, then LANGUAGE, LC_ALL,
 * LC_MESSAGES, LANG; "en*" selects English, anything else Vietnamese.
 * The language is per thread (vigild sets it per request).
 */
#ifndef VIGIL_BASE_I18N_H
#define VIGIL_BASE_I18N_H

enum lang { LANG_VI = 0, LANG_EN = 1 };

/* Choose the language from the environment (see above). */
void i18n_init(void);
void i18n_set(enum lang l);
enum lang i18n_get(void);
/* Parse "vi", "en", "en-US", "vi-VN,vi;q=0.9" (first tag wins); default vi. */
enum lang i18n_parse(const char *s);

/* Translate msgid into the current language; returns msgid itself when in
 * English or when the catalog has no entry. */
const char *i18n_tr(const char *msgid);
#define _(s) i18n_tr(s)
/* Mark for translation without translating now. */
#define N_(s) (s)

#endif
