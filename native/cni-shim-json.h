// cni-shim-json.h — the little JSON the CNI shim reads: a key's value in an object, a string, an integer. Bounded in
// depth and length, and every malformed input is a -1, never a crash: the shim reads whatever a runtime hands it.
#ifndef UMACVLAN_CNI_SHIM_JSON_H
#define UMACVLAN_CNI_SHIM_JSON_H

#include <stddef.h>

typedef struct { const char *p; size_t n; } span;

/* The value of `key` (compared without case, as the reference plugin's decoder does) in the object `obj`; its first
 * match. 0 and *out set, or -1 (not an object, no such key, malformed). */
int json_get(span obj, const char *key, span *out);
/* The string value `v` decoded into out (NUL-terminated, at most cap-1 bytes); -1 if not a string or too long. */
int json_string(span v, char *out, size_t cap);
/* The integer value `v`; -1 if not an integer in [-2^31, 2^31). */
int json_int(span v, long *out);
/* Appends `s` (n bytes) as the inside of a JSON string (quotes not included) to buf; returns the new length, or
 * (size_t)-1 when it does not fit. */
size_t json_escape(char *buf, size_t len, size_t cap, const char *s, size_t n);

#endif
