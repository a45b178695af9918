/* ms_utf8 -- strict UTF-8 validation (RFC 3629), as a WebSocket endpoint must apply to text. */
#ifndef MS_UTF8_H
#define MS_UTF8_H

#include <stddef.h>

/* 1 if s[0..n) is valid UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
int ms_utf8_valid(const unsigned char *s, size_t n);

#endif
