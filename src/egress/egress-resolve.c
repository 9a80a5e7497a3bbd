/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name resolution in a thread per lookup. */

#include <assert.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "egress-resolve.h"

typedef struct Lookup {
        int fd;
        uid_t uid;
        char name[];
} Lookup;

/* The threads release their lookups themselves, hence the lock. */
static pthread_mutex_t lookups_lock = PTHREAD_MUTEX_INITIALIZER;
static EgressLookupCounts lookups;

static EgressLookupUser *lookup_user_find(const EgressLookupCounts *c, uid_t uid) {
        for (size_t i = 0; i < c->n_users; i++)
                if (c->users[i].uid == uid)
                        return &c->users[i];
        return NULL;
}

int egress_lookup_counts_acquire(EgressLookupCounts *c, uid_t uid, unsigned max_per_user,
                                 unsigned max_total) {
        EgressLookupUser *u;

        assert(c);

        u = lookup_user_find(c, uid);
        if ((u ? u->n : 0) >= max_per_user)
                return -EDQUOT;
        if (c->total >= max_total)
                return -EBUSY;
        if (!u) {
                if (c->n_users >= c->n_allocated) {
                        size_t n = MAX(c->n_allocated * 2, (size_t) 8);
                        EgressLookupUser *a = reallocarray(c->users, n, sizeof(*a));

                        if (!a)
                                return -ENOMEM;
                        c->users = a;
                        c->n_allocated = n;
                }
                u = &c->users[c->n_users++];
                *u = (EgressLookupUser) { .uid = uid };
        }
        u->n++;
        c->total++;
        return 0;
}

void egress_lookup_counts_release(EgressLookupCounts *c, uid_t uid) {
        EgressLookupUser *u;

        assert(c);

        u = lookup_user_find(c, uid);
        assert(u && u->n > 0 && c->total > 0);
        c->total--;
        /* Users with nothing in flight go, so the array stays as small as the lookups. */
        if (--u->n == 0)
                *u = c->users[--c->n_users];
}

unsigned egress_lookup_counts_get(const EgressLookupCounts *c, uid_t uid) {
        const EgressLookupUser *u;

        assert(c);

        u = lookup_user_find(c, uid);
        return u ? u->n : 0;
}

void egress_lookup_counts_done(EgressLookupCounts *c) {
        assert(c);

        c->users = mfree(c->users);
        c->n_users = c->n_allocated = 0;
        c->total = 0;
}

static int lookups_acquire(uid_t uid, unsigned max_per_user, unsigned max_total) {
        int r;

        (void) pthread_mutex_lock(&lookups_lock);
        r = egress_lookup_counts_acquire(&lookups, uid, max_per_user, max_total);
        (void) pthread_mutex_unlock(&lookups_lock);
        return r;
}

static void lookups_release(uid_t uid) {
        (void) pthread_mutex_lock(&lookups_lock);
        egress_lookup_counts_release(&lookups, uid);
        (void) pthread_mutex_unlock(&lookups_lock);
}

unsigned egress_resolve_in_flight(uid_t uid, unsigned *ret_total) {
        unsigned n;

        (void) pthread_mutex_lock(&lookups_lock);
        n = egress_lookup_counts_get(&lookups, uid);
        if (ret_total)
                *ret_total = lookups.total;
        (void) pthread_mutex_unlock(&lookups_lock);
        return n;
}

static void addresses_fill(const struct addrinfo *ai, EgressAddresses *a) {
        for (; ai && a->n < EGRESS_ADDRESSES_MAX; ai = ai->ai_next) {
                EgressAddress *e = &a->items[a->n];

                if (ai->ai_family == AF_INET) {
                        memcpy(e->address, &((const struct sockaddr_in *) ai->ai_addr)->sin_addr, 4);
                } else if (ai->ai_family == AF_INET6) {
                        memcpy(e->address, &((const struct sockaddr_in6 *) ai->ai_addr)->sin6_addr, 16);
                } else
                        continue;
                e->family = ai->ai_family;
                a->n++;
        }
}

static int gai_to_errno(int k) {
        switch (k) {
        case 0:
                return 0;
        case EAI_NONAME:
        case EAI_NODATA:
                return -ENOENT;
        case EAI_AGAIN:
                return -EAGAIN;
        case EAI_MEMORY:
                return -ENOMEM;
        case EAI_SYSTEM:
                return -errno;
        default:
                return -EIO;
        }
}

static void *lookup_thread(void *userdata) {
        Lookup *l = userdata;
        const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        EgressAddresses a = {};

        a.error = gai_to_errno(getaddrinfo(l->name, NULL, &hints, &ai));
        if (ai) {
                addresses_fill(ai, &a);
                freeaddrinfo(ai);
        }
        if (a.error == 0 && a.n == 0)
                a.error = -ENOENT;
        (void) write(l->fd, &a, sizeof(a));
        safe_close(l->fd);
        lookups_release(l->uid);
        free(l);
        return NULL;
}

static int lookup_spawn(Lookup *l) {
        pthread_attr_t attr;
        pthread_t t;
        int k;

        (void) pthread_attr_init(&attr);
        (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        (void) pthread_attr_setstacksize(&attr, 256 * 1024);
        k = pthread_create(&t, &attr, lookup_thread, l);
        (void) pthread_attr_destroy(&attr);
        return -k;
}

int egress_resolve_start(const char *name, uid_t uid, unsigned max_per_user, unsigned max_total) {
        _cleanup_close_ int rfd = -EBADF;
        int fds[2], r;
        Lookup *l;

        assert(name);

        r = lookups_acquire(uid, max_per_user, max_total);
        if (r < 0)
                return r;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        rfd = fds[0];
        if (fcntl(rfd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                safe_close(fds[1]);
                goto fail;
        }
        l = malloc(sizeof(Lookup) + strlen(name) + 1);
        if (!l) {
                r = -ENOMEM;
                safe_close(fds[1]);
                goto fail;
        }
        l->fd = fds[1];
        l->uid = uid;
        strcpy(l->name, name);

        r = lookup_spawn(l);
        if (r < 0) {
                safe_close(l->fd);
                free(l);
                goto fail;
        }
        return steal_fd(rfd);

fail:
        lookups_release(uid);
        return r;
}

int egress_resolve_read(int fd, EgressAddresses *ret) {
        EgressAddresses a;
        ssize_t n;

        assert(ret);

        n = read(fd, &a, sizeof(a));
        if (n < 0)
                return -errno;
        if (n != (ssize_t) sizeof(a))
                return n == 0 ? -EPIPE : -EIO;
        if (a.n > EGRESS_ADDRESSES_MAX)
                return -EIO;
        *ret = a;
        return 0;
}
