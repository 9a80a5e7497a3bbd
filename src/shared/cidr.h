/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* CIDR arithmetic for network ceilings: containment, overlap, subtraction, and the address ranges
 * that no allow list may ever hold. Everything here is pure: no I/O, no logging. */

#include <stdbool.h>
#include <stdint.h>

typedef struct Cidr {
        int family;                     /* AF_INET or AF_INET6 */
        uint8_t address[16];            /* network order; 4 bytes used for AF_INET; host bits clear */
        unsigned prefixlen;
} Cidr;

/* Parses "ADDRESS[/PREFIXLEN]" as cidr_parse() does. An IPv4-mapped IPv6 prefix (::ffff:0:0/96 or
 * longer) becomes the IPv4 prefix it stands for: the kernel sends such traffic as IPv4, so that
 * is what it has to be judged and filtered as. Returns 0 or -EINVAL. */
int cidr_from_string(const char *s, Cidr *ret);
/* Writes c as "ADDRESS/PREFIXLEN" into buf (at least CIDR_STRING_MAX bytes). Returns buf. */
#define CIDR_STRING_MAX 50
char *cidr_to_string(const Cidr *c, char buf[static CIDR_STRING_MAX]);

/* Whether a contains all of b (same family only). */
bool cidr_contains(const Cidr *a, const Cidr *b);
/* Whether a and b share an address. Two prefixes overlap exactly when one contains the other. */
bool cidr_overlaps(const Cidr *a, const Cidr *b);

/* Subtracts the n_minus prefixes from a. Returns the number of prefixes left (0 if nothing is
 * left) and a new array of them in *ret (NULL when 0; free()), or -ENOMEM. The result is exact
 * and has no overlaps: a.b.c.d/p minus one longer prefix q gives q-p prefixes. */
int cidr_subtract(const Cidr *a, const Cidr *minus, size_t n_minus, Cidr **ret);
/* Whether the union of the n prefixes covers all of c. Returns 1, 0 or -ENOMEM. */
int cidr_covered_by(const Cidr *c, const Cidr *ceiling, size_t n);

/* Returns the first range that no allow list may hold which c overlaps, or NULL: loopback,
 * "this network" 0.0.0.0/8 and ::, link-local and cloud metadata (169.254.0.0/16, fe80::/10,
 * fd00:ec2::254), multicast, broadcast, and the IPv4-mapped and IPv4-compatible IPv6 spellings
 * of all of these. *ret_why (if not NULL) is a short name of the range. */
const Cidr *cidr_forbidden_overlap(const Cidr *c, const char **ret_why);
/* The forbidden ranges, for subtracting them from a list; *ret_n is their number. */
const Cidr *cidr_forbidden_ranges(size_t *ret_n);

/* Parses every string of l. Returns the number of prefixes and a new array in *ret (NULL for an
 * empty list), -EINVAL if one does not parse (*ret_bad is it, if not NULL), or -ENOMEM. */
int cidr_list_parse(char *const *l, Cidr **ret, const char **ret_bad);
/* Subtracts the n_minus prefixes from each of the n prefixes of l and writes what is left as
 * strings into *ret (a new strv; NULL when nothing is left). Returns 0 or -ENOMEM. */
int cidr_list_subtract_format(const Cidr *l, size_t n, const Cidr *minus, size_t n_minus, char ***ret);
