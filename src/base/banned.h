/*
 * Unsafe libc calls are compile errors in Vigil (after git's banned.h).
 *
 * This header is force-included (-include) into every translation unit. It
 * includes the libc headers that declare the banned names first, so their
 * declarations are seen unchanged, then turns each name into an identifier
 * that does not exist (undefining first: glibc's _FORTIFY_SOURCE headers
 * define some of them, such as sprintf, as macros under clang). Use the bounded, checked replacements instead:
 *   string copies  -> buf_* (base/buf.h) or memcpy with a checked length
 *   formatting     -> snprintf with a checked result, buf_printf
 *   number parsing -> str_to_u64 / str_to_i64 (base/str.h)
 *   tokenising     -> memchr / strtok_r-free splitting over (ptr, len)
 *   time           -> gmtime_r / localtime_r
 *   temp files     -> mkstemp
 */
#ifndef VIGIL_BANNED_H
#define VIGIL_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#undef strcpy
#define strcpy   vigil_banned_strcpy
#undef strcat
#define strcat   vigil_banned_strcat
#undef strncpy
#define strncpy  vigil_banned_strncpy
#undef strncat
#define strncat  vigil_banned_strncat
#undef sprintf
#define sprintf  vigil_banned_sprintf
#undef vsprintf
#define vsprintf vigil_banned_vsprintf
#undef gets
#define gets     vigil_banned_gets
#undef atoi
#define atoi     vigil_banned_atoi
#undef atol
#define atol     vigil_banned_atol
#undef atoll
#define atoll    vigil_banned_atoll
#undef atof
#define atof     vigil_banned_atof
#undef strtok
#define strtok   vigil_banned_strtok
#undef system
#define system   vigil_banned_system
#undef popen
#define popen    vigil_banned_popen
#undef tmpnam
#define tmpnam   vigil_banned_tmpnam
#undef tempnam
#define tempnam  vigil_banned_tempnam
#undef mktemp
#define mktemp   vigil_banned_mktemp
#undef asctime
#define asctime  vigil_banned_asctime
#undef ctime
#define ctime    vigil_banned_ctime
#undef gmtime
#define gmtime   vigil_banned_gmtime
#undef localtime
#define localtime vigil_banned_localtime

#endif
