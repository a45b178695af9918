/* ms_static -- serves a built frontend (--static DIR) with the SPA fallback, never outside DIR. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ms_server.h"

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

/* Resolves url_path under root; 0 and the real path if it is a regular file inside root. */
static int resolve(const char *root, const char *url_path, char *out)
{
    char joined[PATH_MAX * 2];
    if (strstr(url_path, "..")) /* lws normalises, but never trust one layer */
        return -1;
    snprintf(joined, sizeof(joined), "%s%s", root, url_path);
    if (!realpath(joined, out))
        return -1;
    size_t rl = strlen(root);
    if (strncmp(out, root, rl) || (out[rl] != '/' && out[rl] != '\0'))
        return -1; /* a symlink pointing out of the root */
    struct stat st;
    return stat(out, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

int ms_static_serve(struct ms_conn *c, const char *path)
{
    const char *root = c->srv->static_root;
    char real[PATH_MAX];
    const char *last = strrchr(path, '/');
    int found = strcmp(path, "/") && resolve(root, path, real) == 0;
    if (!found) {
        /* SPA deep links (/agents, /idea2video): no extension means a client-side route */
        if (last && strchr(last, '.'))
            return 1;
        if (resolve(root, "/index.html", real))
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
