/*
 * standin-httpd -- a TEST STAND-IN (test double), NOT a real web server.
 *
 * It exists only so that k8sm's tests can fake small HTTP endpoints (for
 * example the Mesos or Kubernetes HTTP APIs) without Apache Mesos or the
 * Kubernetes-on-Mesos binaries.  It is never shipped in the product.
 *
 *   usage: standin-httpd PORT DOCROOT [ADDRESS]
 *
 * Listens on ADDRESS:PORT (ADDRESS is an IPv4 address, default 0.0.0.0) and
 * serves exactly one request per connection, then closes it:
 *
 *   GET P   If DOCROOT/P.status exists, its number is the status code, the
 *           trimmed content of DOCROOT/P.location (if it exists) is sent as
 *           the Location header and the body is DOCROOT/P (empty if missing).
 *           Otherwise a regular file DOCROOT/P gives 200 with its content,
 *           anything else 404.  The Content-Type is application/json when the
 *           body's first non-space byte is '{' or '[', text/plain otherwise.
 *   PUT P   Stores the body (Content-Length is required) in DOCROOT/P,
 *           creating parent directories; the file is written to a temporary
 *           name and renamed, so readers never see half a file.  201.
 *   other   405.
 *
 * The query string is ignored, the path is not percent-decoded, and a path
 * with a ".." segment is refused with 400.  Each connection has
 * K8SM_STANDIN_HTTP_TIMEOUT seconds (default 5) to send its request, so a
 * silent client cannot hang the single-threaded server.  SIGTERM and SIGINT
 * end it with exit status 0.
 *
 * Build: cc -static -O2 -Wall -Wextra -o standin-httpd httpd.c
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "standin_net.h"          /* shared with km.c: sockets, signals, sending */

#define PROG "standin-httpd"
#define MAX_SMALL_FILE 4096       /* cap for .status and .location files (fits MAX_RESPONSE_HEAD) */

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ------------------------------------------------------------------ request */

struct request {
    char buf[MAX_HEAD + 1];     /* the head, and possibly the start of the body */
    size_t have;                /* bytes received into buf */
    size_t head_len;            /* bytes of buf that are request line + headers */
    char *method, *target;
    long long content_length;   /* -1 when there is no Content-Length header */
    int chunked, expect_continue;
};

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Reads and parses the head.  Returns 0 when a request was read, an HTTP
 * status to answer with when it is malformed, or -1 when the client sent
 * nothing usable (closed early or stayed silent): then there is nobody to
 * answer. */
static int read_request(int fd, struct request *rq)
{
    long long deadline = now_ms() + timeout_ms;

    rq->have = 0;
    while ((rq->head_len = head_end(rq->buf, rq->have)) == 0) {
        if (rq->have >= MAX_HEAD)
            return 431;
        ssize_t n = recv_until(fd, rq->buf + rq->have, MAX_HEAD - rq->have, deadline);
        if (n <= 0)
            return -1;
        rq->have += (size_t)n;
    }
    rq->buf[rq->head_len - 1] = '\0';   /* the last '\n' of the head; the body follows it */

    rq->method = rq->target = NULL;
    rq->content_length = -1;
    rq->chunked = rq->expect_continue = 0;

    char *line = rq->buf;
    while (line != NULL) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';

        if (rq->method == NULL) {
            if (*line != '\0') {            /* skip empty lines before the request line */
                char *sp1 = strchr(line, ' ');
                char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
                if (sp2 == NULL || strncmp(sp2 + 1, "HTTP/", 5) != 0)
                    return 400;
                *sp1 = *sp2 = '\0';
                rq->method = line;
                rq->target = sp1 + 1;
            }
        } else if (*line != '\0') {
            char *colon = strchr(line, ':');
            if (colon == NULL)
                return 400;
            *colon = '\0';
            char *value = trim(colon + 1);
            if (strcasecmp(line, "Content-Length") == 0) {
                char *end;
                errno = 0;
                long long len = strtoll(value, &end, 10);
                if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0)
                    return 400;
                if (rq->content_length >= 0 && rq->content_length != len)
                    return 400;
                rq->content_length = len;
            } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
                rq->chunked = 1;
            } else if (strcasecmp(line, "Expect") == 0 && strcasecmp(value, "100-continue") == 0) {
                rq->expect_continue = 1;
            }
        }
        line = next;
    }
    return rq->method == NULL ? 400 : 0;
}

/* ----------------------------------------------------------------- response */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "Status";
    }
}

static const char *content_type(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (isspace((unsigned char)body[i]))
            continue;
        if (body[i] == '{' || body[i] == '[')
            return "application/json";
        break;
    }
    return "text/plain; charset=utf-8";
}

/* Sends a whole response; extra is "" or complete header lines ending in CRLF. */
static void respond(int fd, int status, const char *extra, const char *body, size_t len)
{
    send_response(fd, PROG, status, reason(status), content_type(body, len), extra, body, len);
}

static void respond_text(int fd, int status, const char *text)
{
    respond(fd, status, "", text, strlen(text));
}

/* -------------------------------------------------------------------- files */

/* Reads a whole regular file into a malloc'd buffer (NUL-terminated for
 * convenience).  Returns NULL with errno set; ENOENT also for non-regular
 * files, which count as missing. */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);   /* O_NONBLOCK: never hang on a FIFO */
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = ENOENT;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, used = 0;
    char *data = malloc(cap);
    for (;;) {
        if (data == NULL) {
            close(fd);
            errno = ENOMEM;
            return NULL;
        }
        if (used + 1 >= cap) {          /* the file grew while we read it */
            char *bigger = realloc(data, cap * 2);
            if (bigger == NULL)
                free(data);
            data = bigger;
            cap *= 2;
            continue;
        }
        ssize_t n = read(fd, data + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(data);
            close(fd);
            errno = saved;
            return NULL;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    data[used] = '\0';
    *len = used;
    return data;
}

/* Reads a small file's trimmed content into out.  0 on success, -1 if missing. */
static int read_small_file(const char *path, char *out, size_t outlen)
{
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL)
        return -1;
    snprintf(out, outlen, "%s", trim(data));
    free(data);
    return 0;
}

static int is_missing(int err)
{
    return err == ENOENT || err == ENOTDIR;
}


/* ----------------------------------------------------------------- handlers */

static int has_dotdot_segment(const char *path)
{
    for (const char *seg = path; seg != NULL; seg = strchr(seg, '/')) {
        if (*seg == '/')
            seg++;
        if (seg[0] == '.' && seg[1] == '.' && (seg[2] == '/' || seg[2] == '\0'))
            return 1;
    }
    return 0;
}

static int handle_get(int fd, const char *file)
{
    char aux[PATH_MAX + 16], text[MAX_SMALL_FILE], extra[MAX_SMALL_FILE + 32] = "";
    int status = 200;
    size_t len = 0;

    snprintf(aux, sizeof aux, "%s.status", file);
    int scripted = read_small_file(aux, text, sizeof text) == 0;
    if (scripted) {
        char *end;
        long code = strtol(text, &end, 10);
        if (end == text || *end != '\0' || code < 200 || code > 599) {
            respond_text(fd, 500, "standin-httpd: the .status file does not hold a status code (200-599)\n");
            return 500;
        }
        status = (int)code;
        snprintf(aux, sizeof aux, "%s.location", file);
        if (read_small_file(aux, text, sizeof text) == 0) {
            text[strcspn(text, "\r\n")] = '\0';  /* one header line, whatever the file holds */
            snprintf(extra, sizeof extra, "Location: %s\r\n", text);
        }
    }

    char *body = read_file(file, &len);
    if (body == NULL && !is_missing(errno)) {
        char msg[256];
        snprintf(msg, sizeof msg, "standin-httpd: cannot read the file: %s\n", strerror(errno));
        respond_text(fd, 500, msg);
        return 500;
    }
    if (body == NULL && !scripted) {
        respond_text(fd, 404, "404 not found\n");
        return 404;
    }
    respond(fd, status, extra, body ? body : "", body ? len : 0);
    free(body);
    return status;
}

/* Receives the request body into a temporary file next to the target and
 * renames it into place.  Returns the status it answered with. */
static int handle_put(int fd, struct request *rq, const char *file)
{
    static char chunk[64 * 1024];
    char tmp[PATH_MAX + 32], msg[PATH_MAX + 128];

    if (rq->chunked) {
        respond_text(fd, 501, "standin-httpd: Transfer-Encoding is not supported, send a Content-Length\n");
        return 501;
    }
    if (rq->content_length < 0) {
        respond_text(fd, 411, "standin-httpd: PUT needs a Content-Length\n");
        return 411;
    }
    const char *slash = strrchr(file, '/');
    if (slash[1] == '\0') {
        respond_text(fd, 400, "standin-httpd: cannot PUT a directory\n");
        return 400;
    }
    snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp-XXXXXX", (int)(slash - file), file, slash + 1);

    int out = -1;
    if (mkdir_parents(file) != 0 || (out = mkstemp(tmp)) < 0) {
        snprintf(msg, sizeof msg, "standin-httpd: cannot create %s: %s\n", file, strerror(errno));
        respond_text(fd, 500, msg);
        return 500;
    }
    fchmod(out, 0644);

    if (rq->expect_continue) {
        static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
        send_all(fd, go_on, sizeof go_on - 1);
    }

    long long left = rq->content_length;
    size_t buffered = rq->have - rq->head_len;
    if ((long long)buffered > left)
        buffered = (size_t)left;
    int failed = write_all(out, rq->buf + rq->head_len, buffered) != 0;
    left -= (long long)buffered;
    while (!failed && left > 0) {
        size_t want = left < (long long)sizeof chunk ? (size_t)left : sizeof chunk;
        ssize_t n = recv_until(fd, chunk, want, now_ms() + timeout_ms);
        if (n <= 0) {
            close(out);
            unlink(tmp);
            respond_text(fd, 400, "standin-httpd: the body is shorter than its Content-Length\n");
            return 400;
        }
        failed = write_all(out, chunk, (size_t)n) != 0;
        left -= n;
    }
    if (close(out) != 0)
        failed = 1;
    if (failed || rename(tmp, file) != 0) {
        snprintf(msg, sizeof msg, "standin-httpd: cannot write %s: %s\n", file, strerror(errno));
        unlink(tmp);
        respond_text(fd, 500, msg);
        return 500;
    }
    respond_text(fd, 201, "created\n");
    return 201;
}

static void handle_connection(int fd, const char *docroot)
{
    static struct request rq;
    set_send_timeout(fd, timeout_ms);

    int status = read_request(fd, &rq);
    if (status < 0) {                   /* silent or gone: nobody to answer */
        close(fd);
        return;
    }
    if (status > 0) {
        respond_text(fd, status, "standin-httpd: malformed request\n");
        fprintf(stderr, PROG ": malformed request -> %d\n", status);
        finish_connection(fd);
        return;
    }

    char *path = rq.target;
    path[strcspn(path, "?#")] = '\0';
    char file[PATH_MAX];
    if (path[0] != '/' || has_dotdot_segment(path)) {
        respond_text(fd, 400, "standin-httpd: the path must start with / and have no .. segment\n");
        status = 400;
    } else if (snprintf(file, sizeof file, "%s%s", docroot, path) >= (int)sizeof file - 16) {
        respond_text(fd, 414, "standin-httpd: the path is too long\n");
        status = 414;
    } else if (strcmp(rq.method, "GET") == 0) {
        status = handle_get(fd, file);
    } else if (strcmp(rq.method, "PUT") == 0) {
        status = handle_put(fd, &rq, file);
    } else {
        static const char not_allowed[] = "405 method not allowed\n";
        respond(fd, 405, "Allow: GET, PUT\r\n", not_allowed, sizeof not_allowed - 1);
        status = 405;
    }
    fprintf(stderr, PROG ": %s %s -> %d\n", rq.method, rq.target, status);
    finish_connection(fd);
}

/* --------------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr,
            "usage: " PROG " PORT DOCROOT [ADDRESS]\n"
            "  a test stand-in HTTP server (never shipped in the product); ADDRESS is IPv4, default 0.0.0.0\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long port, secs;
    struct in_addr addr = { .s_addr = htonl(INADDR_ANY) };

    if (argc < 3 || argc > 4 || parse_number(argv[1], 0, 65535, &port) != 0 || argv[2][0] == '\0')
        usage();
    if (argc == 4 && inet_pton(AF_INET, argv[3], &addr) != 1)
        usage();
    const char *docroot = argv[2];
    const char *env = getenv("K8SM_STANDIN_HTTP_TIMEOUT");
    if (env != NULL && *env != '\0') {
        if (parse_number(env, 1, 3600, &secs) != 0) {
            fprintf(stderr, PROG ": K8SM_STANDIN_HTTP_TIMEOUT must be a number of seconds (1-3600)\n");
            return 2;
        }
        timeout_ms = secs * 1000;
    }

    /* SIGTERM/SIGINT stay blocked while a connection is handled; they are only
     * let through while waiting for the next one (pselect), so a request is
     * never cut in half and no signal is lost between two checks. */
    sigset_t stop_set, wait_mask;
    block_stop_signals(&stop_set, &wait_mask);

    struct sockaddr_in sin;
    int lfd = listen_tcp(addr, port, &sin);
    if (lfd < 0) {
        fprintf(stderr, PROG ": cannot listen on %s:%ld: %s\n", argc == 4 ? argv[3] : "0.0.0.0", port, strerror(errno));
        return 1;
    }

    char shown[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin.sin_addr, shown, sizeof shown);
    fprintf(stderr, PROG ": STAND-IN test server, serving %s on %s:%u\n", docroot, shown, ntohs(sin.sin_port));

    int fd;
    while ((fd = next_connection(lfd, &wait_mask)) >= 0)
        handle_connection(fd, docroot);
    if (fd == -2) {
        fprintf(stderr, PROG ": pselect: %s\n", strerror(errno));
        return 1;
    }
    fprintf(stderr, PROG ": stopping on signal\n");
    return 0;
}
