/* ms_static -- serves a built frontend (--static DIR) with the SPA fallback, never outside DIR. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ms_server.h"
#include "ms_static.h"

static const char *mime_of(const char *path)
{
    static const struct {
        const char *ext, *mime;
    } types[] = {
        {".html", "text/html"},       {".js", "text/javascript"},    {".mjs", "text/javascript"},
        {".css", "text/css"},         {".json", "application/json"}, {".svg", "image/svg+xml"},
        {".png", "image/png"},        {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"},
        {".ico", "image/x-icon"},     {".woff2", "font/woff2"},      {".woff", "font/woff"},
        {".map", "application/json"}, {".txt", "text/plain"},        {".wasm", "application/wasm"},
        {".webp", "image/webp"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].mime;
    return "application/octet-stream";
}

/* 1 if path has a ".." segment, a backslash (a separator elsewhere) or a control character. */
static int suspicious(const char *path)
{
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return 1;
        if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') && (!p[2] || p[2] == '/'))
            return 1;
    }
    return 0;
}

/* 1 if the canonical path real is root or inside it. */
static int inside(const char *root, const char *real)
{
    size_t rl = strlen(root);
    if (rl == 1 && root[0] == '/') /* --static / : everything is inside */
        return real[0] == '/';
    return !strncmp(real, root, rl) && (real[rl] == '/' || real[rl] == '\0');
}

int ms_static_resolve(const char *root, const char *url_path, char *out, size_t outlen)
{
    char joined[PATH_MAX * 2], real[PATH_MAX];
    /* lws already decodes and normalises the path; never trust one layer */
    if (url_path[0] != '/' || suspicious(url_path))
        return -1;
    if ((size_t)snprintf(joined, sizeof(joined), "%s%s", root, url_path) >= sizeof(joined))
        return -1;
    /* realpath follows every symlink: a link inside root pointing out of it resolves outside */
    if (!realpath(joined, real) || !inside(root, real))
        return -1;
    struct stat st;
    if (stat(real, &st) || !S_ISREG(st.st_mode))
        return -1;
    if ((size_t)snprintf(out, outlen, "%s", real) >= outlen)
        return -1;
    return 0;
}

int ms_static_serve(struct ms_conn *c, const char *path)
{
    const char *root = c->srv->static_root;
    char real[PATH_MAX];
    const char *last = strrchr(path, '/');
    int found = strcmp(path, "/") && ms_static_resolve(root, path, real, sizeof(real)) == 0;
    if (!found) {
        /* SPA deep links (/agents, /idea2video): no extension means a client-side route */
        if (last && strchr(last, '.'))
            return 1;
        if (ms_static_resolve(root, "/index.html", real, sizeof(real)))
            return 1;
    }
    cJSON *ev = ms_server_event("http");
    if (ev) {
        cJSON_AddStringToObject(ev, "method", "GET");
        cJSON_AddStringToObject(ev, "path", path);
        cJSON_AddNumberToObject(ev, "status", 200);
        ms_server_journal(c->srv, ev);
    }
    int n = lws_serve_http_file(c->wsi, real, mime_of(real), NULL, 0);
    if (n < 0 || (n > 0 && lws_http_transaction_completed(c->wsi)))
        return -1;
    return 0;
}
