/*
 * standin_net.h -- connection code SHARED BY THE TEST STAND-INS httpd.c
 * (standin-httpd) and km.c (km).  Like them it is a test double's code only
 * and is never shipped in the product.
 *
 * It holds what both single-threaded "one request per connection" servers do
 * the same way: the stop signals, the listening socket and the wait for the
 * next connection, reading with a deadline, sending a whole response and
 * closing a connection without losing that response.  Each program keeps its
 * own request handling and messages.
 *
 * All functions are static: each program is still built from its one .c file
 * (cc ... -o km km.c), which includes this header after defining
 * _POSIX_C_SOURCE and _DEFAULT_SOURCE.  Only libc/POSIX is used.
 */
#ifndef STANDIN_NET_H
#define STANDIN_NET_H

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD (64 * 1024)      /* cap for a request's line plus headers */
#define DEFAULT_TIMEOUT_S 5       /* per connection, see K8SM_STANDIN_HTTP_TIMEOUT */
#define LINGER_MS 500             /* how long to drain unread input before close */
#define MAX_RESPONSE_HEAD (4096 + 512)  /* a response's status line plus headers */

/* Per connection: how long a client has to send its request (and the send
 * timeout).  Each program's main sets it from K8SM_STANDIN_HTTP_TIMEOUT. */
static long long timeout_ms = DEFAULT_TIMEOUT_S * 1000LL;
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Ignores SIGPIPE and lets SIGTERM and SIGINT set stop_requested, but keeps
 * those two blocked: stop_set gets them, wait_mask the signal mask from
 * before, which lets them through (pselect, see next_connection). */
static void block_stop_signals(sigset_t *stop_set, sigset_t *wait_mask)
{
    sigemptyset(stop_set);
    sigaddset(stop_set, SIGTERM);
    sigaddset(stop_set, SIGINT);
    sigprocmask(SIG_BLOCK, stop_set, wait_mask);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A decimal number from min to max (digits only, no sign) into *out; 0 on
 * success, -1 otherwise. */
static int parse_number(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!isdigit((unsigned char)*s) || *end != '\0' || errno != 0 || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* --------------------------------------------------------------- listening */

/* A listening TCP socket on addr:port, with the address it is bound to in
 * *bound (so port 0 shows the port it got).  It is non-blocking, as accept()
 * must not block after pselect.  -1 with errno set on failure. */
static int listen_tcp(struct in_addr addr, long port, struct sockaddr_in *bound)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = addr };
    socklen_t slen = sizeof sin;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || bind(lfd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(lfd, 64) != 0
        || getsockname(lfd, (struct sockaddr *)&sin, &slen) != 0) {
        int saved = errno;
        if (lfd >= 0)
            close(lfd);
        errno = saved;
        return -1;
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    *bound = sin;
    return lfd;
}

/* Waits for the next connection on lfd (from listen_tcp).  The stop signals
 * are let through only while waiting (pselect with wait_mask), so a request
 * is never cut in half and no signal is lost between two checks.  Returns the
 * connected socket, -1 once a stop signal came, or -2 (errno set) when
 * pselect fails. */
static int next_connection(int lfd, const sigset_t *wait_mask)
{
    while (!stop_requested) {
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(lfd, &readable);
        if (pselect(lfd + 1, &readable, NULL, NULL, NULL, wait_mask) < 0) {
            if (errno == EINTR)
                continue;
            return -2;
        }
        int fd = accept(lfd, NULL, NULL);
        if (fd >= 0)
            return fd;
        if (errno == EMFILE || errno == ENFILE)
            sleep(1);                   /* let descriptors free up instead of spinning */
    }
    return -1;
}

/* -------------------------------------------------------------- connection */

/* Makes sends on fd give up after ms milliseconds. */
static void set_send_timeout(int fd, long long ms)
{
    struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* recv() that gives up at the deadline: >0 bytes read, 0 peer closed, -1 error or timeout. */
static ssize_t recv_until(int fd, void *buf, size_t len, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = recv(fd, buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
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

/* Length of the head (through the blank line) if buf holds all of it, else 0. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Sends a whole "Connection: close" response: the head, then len bytes of
 * body.  server names the program in the Server header; extra is "" or
 * complete header lines ending in CRLF.  Nothing is sent when the head does
 * not fit in MAX_RESPONSE_HEAD bytes. */
static void send_response(int fd, const char *server, int status, const char *reason,
                          const char *content_type, const char *extra, const char *body, size_t len)
{
    char head[MAX_RESPONSE_HEAD];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n"
                     "Server: %s (test stand-in)\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "Connection: close\r\n"
                     "\r\n",
                     status, reason, server, content_type, len, extra);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    if (send_all(fd, head, (size_t)n) == 0 && len > 0)
        send_all(fd, body, len);
}

/* Closes the connection without losing the response: stop sending, then read
 * (and drop) what the client still sends for a moment, so the kernel does not
 * answer unread input with a reset. */
static void finish_connection(int fd)
{
    char junk[4096];
    long long deadline = now_ms() + LINGER_MS;
    shutdown(fd, SHUT_WR);
    while (recv_until(fd, junk, sizeof junk, deadline) > 0)
        ;
    close(fd);
}

/* Creates the directories above the file path, like mkdir -p "$(dirname path)". */
static int mkdir_parents(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

#endif /* STANDIN_NET_H */
