/* ms_static -- resolving a URL path to a file inside the --static directory (lws-free). */
#ifndef MS_STATIC_H
#define MS_STATIC_H

#include <stddef.h>

/*
 * Resolves url_path (already percent-decoded, starting with '/') under root, which must be a
 * canonical absolute path (realpath() of the --static directory). Returns 0 and the file's
 * canonical path in out (outlen bytes, at least PATH_MAX) when it names a regular file whose real
 * location, every symlink followed, is inside root. Returns -1 otherwise: a ".." segment, a
 * backslash or a control character in url_path, a path that does not exist, a directory or other
 * non-regular file, or a symlink leading out of root. out is the caller's; nothing is allocated.
 */
int ms_static_resolve(const char *root, const char *url_path, char *out, size_t outlen);

#endif
