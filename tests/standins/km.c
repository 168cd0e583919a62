/*
 * km -- a TEST STAND-IN (test double) for the Kubernetes-on-Mesos `km`
 * binary.  It is NOT km, runs no Kubernetes component and is never shipped
 * in the product: it exists so that k8sm's tests can run without the real
 * Kubernetes-on-Mesos build.
 *
 *   usage: km apiserver|controller-manager|scheduler [--flag=value | --flag value]...
 *
 * What it does, in order:
 *  1. Records its whole argv, one argument per line, in
 *     $K8SM_STANDIN_DIR/km-SUBCOMMAND.argv (default directory
 *     /var/lib/k8sm/standin), so tests can check how it was started.
 *  2. Waits for what the real component depends on, retrying once a second
 *     for up to $K8SM_STANDIN_WAIT seconds (default 10), and exits 1 if it
 *     never comes:
 *       apiserver           a TCP connect to one of --etcd-servers succeeds
 *       controller-manager  a TCP connect to --master succeeds
 *       scheduler           GET /healthz on one of --api-servers says 200 "ok"
 *  3. Serves HTTP on --insecure-bind-address or --address (default 0.0.0.0) and
 *     --insecure-port or --port (defaults 8080,
 *     10252, 10251): GET /healthz -> "ok", GET /version -> a JSON version,
 *     anything else 404.  One request per connection; a connection has
 *     $K8SM_STANDIN_HTTP_TIMEOUT seconds (default 5) to send its request.
 *  SIGTERM or SIGINT ends it with exit status 0 at any point.
 *
 * Unknown flags are accepted and ignored (they are in the argv record).
 * Server URLs look like http://HOST:PORT/path (scheme optional, path ignored,
 * port 80 when missing); HOST is an IPv4 address or a name.  Names are looked
 * up in /etc/hosts and then in DNS (res_search, which follows
 * /etc/resolv.conf).  getaddrinfo() is deliberately not used: in a static
 * glibc binary it needs the NSS libraries of the build's exact glibc version
 * at run time (and makes the linker warn).
 *
 * Build: cc -static -O2 -Wall -Wextra -o km km.c
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "standin_net.h"          /* shared with httpd.c: sockets, signals, sending */

#define DEFAULT_RECORD_DIR "/var/lib/k8sm/standin"
#define DEFAULT_WAIT_S 10
#define CONNECT_TIMEOUT_MS 1000   /* per dependency probe */
#define MAX_FLAGS 256
#define MAX_ENDPOINTS 16

static const char *sub;           /* the subcommand, for messages */

/* Prints "km SUB: message" on stderr and exits with status. */
__attribute__((format(printf, 2, 3), noreturn))
static void die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "km %s: ", sub);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

/* -------------------------------------------------------------------- flags */

struct flag {
    const char *name;   /* without the leading "--" */
    size_t name_len;
    const char *value;
};

static struct flag flags[MAX_FLAGS];
static int nflags;

/* --name=value, or --name value when the next argument does not start with
 * "--", or a bare --name (value ""); other arguments are ignored. */
static void parse_flags(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0' || nflags == MAX_FLAGS)
            continue;
        struct flag *f = &flags[nflags++];
        f->name = arg + 2;
        const char *eq = strchr(f->name, '=');
        if (eq != NULL) {
            f->name_len = (size_t)(eq - f->name);
            f->value = eq + 1;
        } else {
            f->name_len = strlen(f->name);
            f->value = (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) ? argv[++i] : "";
        }
    }
}

/* The value of the last --name, or NULL when it was not given. */
static const char *flag(const char *name)
{
    for (int i = nflags - 1; i >= 0; i--)
        if (flags[i].name_len == strlen(name) && strncmp(flags[i].name, name, flags[i].name_len) == 0)
            return flags[i].value;
    return NULL;
}

/* ------------------------------------------------------------ argv record */

/* mkdir -p DIR: its parents (standin_net.h), then itself. */
static int mkdir_p(const char *dir)
{
    if (mkdir_parents(dir) != 0)
        return -1;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Writes argv to DIR/km-SUB.argv through a temporary file and a rename, so a
 * reader never sees half a record. */
static void record_argv(int argc, char **argv)
{
    const char *dir = getenv("K8SM_STANDIN_DIR");
    if (dir == NULL || *dir == '\0')
        dir = DEFAULT_RECORD_DIR;
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    if (snprintf(path, sizeof path, "%s/km-%s.argv", dir, sub) >= (int)sizeof path)
        die(1, "the record directory name is too long: %s", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);

    int fd = -1;
    FILE *out = NULL;
    if (mkdir_p(dir) != 0 || (fd = mkstemp(tmp)) < 0 || (out = fdopen(fd, "w")) == NULL)
        die(1, "cannot record the arguments in %s: %s", dir, strerror(errno));
    fchmod(fd, 0644);
    for (int i = 0; i < argc; i++)
        fprintf(out, "%s\n", argv[i]);
    if (fclose(out) != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        die(1, "cannot record the arguments in %s: %s", path, strerror(saved));
    }
}

/* ---------------------------------------------------------- name lookup */

/* Looks host up in /etc/hosts (IPv4 entries only). */
static int lookup_hosts_file(const char *host, struct in_addr *out)
{
    FILE *f = fopen("/etc/hosts", "r");
    if (f == NULL)
        return -1;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "#")] = '\0';
        char *save, *addr = strtok_r(line, " \t\r\n", &save);
        struct in_addr a;
        if (addr == NULL || inet_pton(AF_INET, addr, &a) != 1)
            continue;
        for (char *name; !found && (name = strtok_r(NULL, " \t\r\n", &save)) != NULL;)
            if (strcasecmp(name, host) == 0) {
                *out = a;
                found = 1;
            }
    }
    fclose(f);
    return found ? 0 : -1;
}

/* Asks DNS for an A record with the libc resolver (no NSS involved). */
static int lookup_dns(const char *host, struct in_addr *out)
{
    unsigned char answer[4096];
    int len = res_search(host, ns_c_in, ns_t_a, answer, sizeof answer);
    if (len < NS_HFIXEDSZ)
        return -1;
    const unsigned char *end = answer + len, *p = answer + NS_HFIXEDSZ;
    int questions = answer[4] << 8 | answer[5], answers = answer[6] << 8 | answer[7];

    for (int i = 0; i < questions; i++) {
        int n = dn_skipname(p, end);
        if (n < 0 || end - p < n + NS_QFIXEDSZ)
            return -1;
        p += n + NS_QFIXEDSZ;
    }
    for (int i = 0; i < answers; i++) {
        int n = dn_skipname(p, end);
        if (n < 0 || end - p < n + NS_RRFIXEDSZ)
            return -1;
        p += n;
        int type = p[0] << 8 | p[1], class = p[2] << 8 | p[3], rdlen = p[8] << 8 | p[9];
        p += NS_RRFIXEDSZ;
        if (end - p < rdlen)
            return -1;
        if (type == ns_t_a && class == ns_c_in && rdlen == 4) {
            memcpy(out, p, 4);
            return 0;
        }
        p += rdlen;                     /* e.g. a CNAME before the A record */
    }
    return -1;
}

static int resolve_ipv4(const char *host, struct in_addr *out)
{
    if (inet_pton(AF_INET, host, out) == 1 || lookup_hosts_file(host, out) == 0 || lookup_dns(host, out) == 0)
        return 0;
    if (strcasecmp(host, "localhost") == 0)
        return inet_pton(AF_INET, "127.0.0.1", out) == 1 ? 0 : -1;
    return -1;
}

/* --------------------------------------------------------------- endpoints */

struct endpoint {
    char host[256];
    unsigned port;
};

/* Parses [scheme://][user@]HOST[:PORT][/path] (len bytes of url). */
static int parse_url(const char *url, size_t len, struct endpoint *ep)
{
    char buf[1024];
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, url, len);
    buf[len] = '\0';

    char *hp = buf;
    char *scheme_end = strstr(hp, "://");
    int https = 0;
    if (scheme_end != NULL) {
        https = (size_t)(scheme_end - hp) == 5 && strncasecmp(hp, "https", 5) == 0;
        hp = scheme_end + 3;
    }
    hp[strcspn(hp, "/?#")] = '\0';
    char *at = strrchr(hp, '@');
    if (at != NULL)
        hp = at + 1;
    if (*hp == '[')                     /* IPv6 literals are not supported */
        return -1;

    long port = https ? 443 : 80;
    char *colon = strchr(hp, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (parse_number(colon + 1, 1, 65535, &port) != 0)
            return -1;
    }
    if (*hp == '\0' || strlen(hp) >= sizeof ep->host)
        return -1;
    strcpy(ep->host, hp);
    ep->port = (unsigned)port;
    return 0;
}

/* Parses the comma-separated URL list of --name (empty items are skipped);
 * exits 1 if the flag is missing or a URL cannot be parsed. */
static int parse_url_list(const char *name, struct endpoint *eps, int max)
{
    const char *value = flag(name);
    if (value == NULL || *value == '\0')
        die(1, "--%s is required (e.g. --%s=http://HOST:PORT)", name, name);
    int n = 0;
    for (const char *p = value; *p != '\0';) {
        size_t len = strcspn(p, ",");
        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len > 0) {
            if (n == max)
                die(1, "--%s=%s: too many URLs (at most %d)", name, value, max);
            if (parse_url(p, len, &eps[n]) != 0)
                die(1, "--%s=%s: expected a comma-separated list of URLs like http://HOST:PORT", name, value);
            n++;
        }
        p += strcspn(p, ",");
        if (*p == ',')
            p++;
    }
    if (n == 0)
        die(1, "--%s=%s: no URL in it", name, value);
    return n;
}

/* A connected TCP socket, or -1 with a message in err. */
static int tcp_connect(const struct endpoint *ep, char *err, size_t errlen)
{
    struct in_addr addr;
    if (resolve_ipv4(ep->host, &addr) != 0) {
        snprintf(err, errlen, "%.255s: cannot resolve the host name", ep->host);
        return -1;
    }
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)ep->port), .sin_addr = addr };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);      /* so the connect can time out */
    int r = connect(fd, (struct sockaddr *)&sin, sizeof sin);
    if (r != 0 && errno == EINPROGRESS) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        r = poll(&p, 1, CONNECT_TIMEOUT_MS);
        if (r == 0) {
            errno = ETIMEDOUT;
            r = -1;
        } else if (r > 0) {
            int soerr = 0;
            socklen_t slen = sizeof soerr;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen);
            errno = soerr;
            r = soerr ? -1 : 0;
        }
    }
    if (r != 0) {
        snprintf(err, errlen, "%.255s:%u: %s", ep->host, ep->port, strerror(errno));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, flags);
    return fd;
}

/* ------------------------------------------------------- dependency checks */

enum probe { PROBE_TCP, PROBE_HEALTHZ };

/* Scheduler's check: GET /healthz answers 200 with the body "ok". */
static int healthz_ok(int fd, const struct endpoint *ep, char *err, size_t errlen)
{
    static char resp[MAX_HEAD + 1];
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /healthz HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: km-standin\r\nConnection: close\r\n\r\n",
                     ep->host, ep->port);
    if (send_all(fd, req, (size_t)n) != 0) {
        snprintf(err, errlen, "%.255s:%u: sending GET /healthz: %s", ep->host, ep->port, strerror(errno));
        return -1;
    }
    size_t have = 0;
    long long deadline = now_ms() + 2000;
    ssize_t got;
    while (have < MAX_HEAD && (got = recv_until(fd, resp + have, MAX_HEAD - have, deadline)) > 0)
        have += (size_t)got;
    resp[have] = '\0';

    size_t body = head_end(resp, have);
    int code = 0;
    if (body == 0 || sscanf(resp, "HTTP/%*d.%*d %d", &code) != 1) {
        snprintf(err, errlen, "%.255s:%u: no HTTP answer to GET /healthz", ep->host, ep->port);
        return -1;
    }
    char *text = resp + body;
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        text[--len] = '\0';
    if (code != 200 || strcmp(text, "ok") != 0) {
        snprintf(err, errlen, "%.255s:%u: GET /healthz answered %d \"%.60s\"", ep->host, ep->port, code, text);
        return -1;
    }
    return 0;
}

static int probe(const struct endpoint *ep, enum probe kind, char *err, size_t errlen)
{
    int fd = tcp_connect(ep, err, errlen);
    if (fd < 0)
        return -1;
    int r = kind == PROBE_TCP ? 0 : healthz_ok(fd, ep, err, errlen);
    close(fd);
    return r;
}

/* Probes the endpoints once a second until one passes or wait_s seconds have
 * passed; a stop signal meanwhile ends the program with 0. */
static void wait_for(const char *what, const char *flag_name, const struct endpoint *eps, int n,
                     enum probe kind, long wait_s, const sigset_t *stop_set)
{
    long long deadline = now_ms() + wait_s * 1000LL;
    char err[512] = "";
    for (int attempt = 1;; attempt++) {
        for (int i = 0; i < n; i++) {
            if (probe(&eps[i], kind, err, sizeof err) == 0) {
                fprintf(stderr, "km %s: %s is up at %s:%u\n", sub, what, eps[i].host, eps[i].port);
                return;
            }
        }
        if (now_ms() >= deadline)
            break;
        if (attempt == 1)
            fprintf(stderr, "km %s: waiting up to %ld s for %s (%s)\n", sub, wait_s, what, err);
        struct timespec one_second = { .tv_sec = 1, .tv_nsec = 0 };
        if (sigtimedwait(stop_set, NULL, &one_second) > 0) {
            fprintf(stderr, "km %s: stopping on signal\n", sub);
            exit(0);
        }
    }
    fprintf(stderr, "km %s: gave up waiting for %s after %ld s: no server in --%s=%s %s (last error: %s)\n",
            sub, what, wait_s, flag_name, flag(flag_name),
            kind == PROBE_TCP ? "accepted a TCP connection" : "answered GET /healthz with 200 ok", err);
    exit(1);
}

/* ------------------------------------------------------------------ serving */

static void respond(int fd, int status, const char *ctype, const char *body)
{
    send_response(fd, "km", status, status == 200 ? "OK" : "Not Found", ctype, "", body, strlen(body));
}

static void handle_connection(int fd)
{
    static char buf[MAX_HEAD + 1];
    size_t have = 0;
    long long deadline = now_ms() + timeout_ms;
    set_send_timeout(fd, timeout_ms);

    while (head_end(buf, have) == 0 && have < MAX_HEAD) {
        ssize_t n = recv_until(fd, buf + have, MAX_HEAD - have, deadline);
        if (n <= 0) {                   /* silent or gone: nobody to answer */
            close(fd);
            return;
        }
        have += (size_t)n;
    }
    buf[have] = '\0';

    /* The request line: METHOD SP TARGET SP VERSION; only the first two matter. */
    char *line = buf + strspn(buf, "\r\n");
    line[strcspn(line, "\r\n")] = '\0';
    char *save, *method = strtok_r(line, " ", &save), *target = strtok_r(NULL, " ", &save);
    if (target != NULL)
        target[strcspn(target, "?#")] = '\0';

    if (method != NULL && target != NULL && strcmp(method, "GET") == 0 && strcmp(target, "/healthz") == 0)
        respond(fd, 200, "text/plain; charset=utf-8", "ok");
    else if (method != NULL && target != NULL && strcmp(method, "GET") == 0 && strcmp(target, "/version") == 0)
        respond(fd, 200, "application/json", "{\"gitVersion\":\"v0.0.0-standin\"}");
    else
        respond(fd, 404, "text/plain; charset=utf-8", "404 page not found\n");
    finish_connection(fd);
}

static void serve(long default_port, const sigset_t *wait_mask)
{
    /* the apiserver's current names for them first, as the real km reads them */
    const char *address = flag("insecure-bind-address") ? flag("insecure-bind-address") : flag("address");
    const char *port_text = flag("insecure-port") ? flag("insecure-port") : flag("port");
    long port = default_port;
    struct in_addr addr;

    if (address == NULL || *address == '\0')
        address = "0.0.0.0";
    if (port_text != NULL && parse_number(port_text, 0, 65535, &port) != 0)
        die(2, "--port=%s: expected a port number", port_text);
    if (resolve_ipv4(address, &addr) != 0)
        die(2, "--address=%s: not an IPv4 address or a resolvable name", address);

    struct sockaddr_in sin;
    int lfd = listen_tcp(addr, port, &sin);
    if (lfd < 0) {
        fprintf(stderr, "km %s: cannot listen on %s:%ld: %s\n", sub, address, port, strerror(errno));
        exit(1);
    }

    char shown[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin.sin_addr, shown, sizeof shown);
    fprintf(stderr, "serving on %s:%u\n", shown, ntohs(sin.sin_port));

    int fd;
    while ((fd = next_connection(lfd, wait_mask)) >= 0)
        handle_connection(fd);
    if (fd == -2) {
        fprintf(stderr, "km %s: pselect: %s\n", sub, strerror(errno));
        exit(1);
    }
    fprintf(stderr, "km %s: stopping on signal\n", sub);
}

/* ------------------------------------------------------------ registration */

/* The scheduler's framework registration, as the stand-in Mesos master takes it: a child
 * process PUTs {"name": --framework-name, "active": true} with curl to
 * http://HOST:5050/standin/frameworks/NAME of every host of --mesos-master (zk://HOSTS/PATH:
 * the masters run beside ZooKeeper) every 2 s, so a new leader learns it too.  The child
 * is in the daemon's process group: k8sm-daemon's kill ends it with the scheduler. */
static void register_framework(void)
{
    const char *zk = flag("mesos-master"), *name = flag("framework-name");
    if (zk == NULL || strncmp(zk, "zk://", 5) != 0)
        return;
    if (name == NULL || *name == '\0')
        name = "Kubernetes";
    pid_t pid = fork();
    if (pid != 0)
        return;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char body[512], hosts[1024];
    snprintf(body, sizeof body, "{\"name\":\"%.100s\",\"id\":\"standin-framework\",\"active\":true}", name);
    snprintf(hosts, sizeof hosts, "%.1000s", zk + 5);
    hosts[strcspn(hosts, "/")] = '\0';
    for (;;) {
        char list[1024];
        memcpy(list, hosts, sizeof list);
        char *save, *host = strtok_r(list, ",", &save);
        for (; host != NULL; host = strtok_r(NULL, ",", &save)) {
            host[strcspn(host, ":")] = '\0';
            char url[600];
            snprintf(url, sizeof url, "http://%.255s:5050/standin/frameworks/%.100s", host, name);
            pid_t c = fork();
            if (c == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(null, 2);
                execlp("curl", "curl", "-s", "--max-time", "2", "-X", "PUT", "--data-binary", body, url, (char *)NULL);
                _exit(127);
            }
            if (c > 0)
                waitpid(c, NULL, 0);
        }
        sleep(2);
    }
}

/* --------------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    static struct endpoint eps[MAX_ENDPOINTS];
    long default_port, wait_s = DEFAULT_WAIT_S, secs;

    sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "apiserver") == 0)
        default_port = 8080;
    else if (strcmp(sub, "controller-manager") == 0)
        default_port = 10252;
    else if (strcmp(sub, "scheduler") == 0)
        default_port = 10251;
    else {
        fprintf(stderr,
                "usage: km apiserver|controller-manager|scheduler [--flag=value | --flag value]...\n"
                "  (a test stand-in for Kubernetes-on-Mesos km, never shipped in the product)\n");
        return 2;
    }

    /* SIGTERM/SIGINT stay blocked; they are taken by sigtimedwait() while
     * waiting for a dependency and let through by pselect() while waiting for
     * a connection, so they are never lost and never cut a request in half. */
    sigset_t stop_set, wait_mask;
    block_stop_signals(&stop_set, &wait_mask);

    record_argv(argc, argv);
    fprintf(stderr, "STAND-IN km %s: a test double, not the Kubernetes-on-Mesos km\n", sub);
    for (int i = 1; i < argc; i++)
        fprintf(stderr, "  arg: %s\n", argv[i]);

    const char *env = getenv("K8SM_STANDIN_WAIT");
    if (env != NULL && *env != '\0' && parse_number(env, 0, 86400, &wait_s) != 0)
        die(2, "K8SM_STANDIN_WAIT=%s: expected a number of seconds", env);
    env = getenv("K8SM_STANDIN_HTTP_TIMEOUT");
    if (env != NULL && *env != '\0') {
        if (parse_number(env, 1, 3600, &secs) != 0)
            die(2, "K8SM_STANDIN_HTTP_TIMEOUT=%s: expected a number of seconds (1-3600)", env);
        timeout_ms = secs * 1000;
    }
    parse_flags(argc, argv);

    if (strcmp(sub, "apiserver") == 0) {
        int n = parse_url_list("etcd-servers", eps, MAX_ENDPOINTS);
        wait_for("etcd", "etcd-servers", eps, n, PROBE_TCP, wait_s, &stop_set);
    } else if (strcmp(sub, "controller-manager") == 0) {
        int n = parse_url_list("master", eps, 1);
        wait_for("the apiserver (--master)", "master", eps, n, PROBE_TCP, wait_s, &stop_set);
    } else {
        int n = parse_url_list("api-servers", eps, MAX_ENDPOINTS);
        wait_for("a healthy apiserver (GET /healthz = ok)", "api-servers", eps, n, PROBE_HEALTHZ, wait_s, &stop_set);
        register_framework();
    }

    serve(default_port, &wait_mask);
    return 0;
}
