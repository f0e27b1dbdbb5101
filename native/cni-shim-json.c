// cni-shim-json.c — see cni-shim-json.h. A recursive-descent skipper with a depth bound: nothing is built, values are
// spans of the input.
#include "cni-shim-json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 64

static const char *ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* end of the string starting at p (at the opening quote), or NULL */
static const char *skip_string(const char *p, const char *e) {
  for (p++; p < e; p++) {
    if (*p == '\\') { p++; continue; }
    if (*p == '"') return p + 1;
    if ((unsigned char)*p < 0x20) return NULL;
  }
  return NULL;
}

static const char *skip_value(const char *p, const char *e, int depth);

static const char *skip_container(const char *p, const char *e, int depth, char close, int keyed) {
  if (depth > MAX_DEPTH) return NULL;
  p = ws(p + 1, e);
  if (p < e && *p == close) return p + 1;
  for (;;) {
    if (keyed) {
      if (p >= e || *p != '"') return NULL;
      if (!(p = skip_string(p, e))) return NULL;
      p = ws(p, e);
      if (p >= e || *p != ':') return NULL;
      p = ws(p + 1, e);
    }
    if (!(p = skip_value(p, e, depth + 1))) return NULL;
    p = ws(p, e);
    if (p >= e) return NULL;
    if (*p == close) return p + 1;
    if (*p != ',') return NULL;
    p = ws(p + 1, e);
  }
}

static const char *skip_value(const char *p, const char *e, int depth) {
  p = ws(p, e);
  if (p >= e) return NULL;
  switch (*p) {
    case '"': return skip_string(p, e);
    case '{': return skip_container(p, e, depth, '}', 1);
    case '[': return skip_container(p, e, depth, ']', 0);
    default: {
      const char *s = p;
      while (p < e && ((*p && strchr("+-.eE", *p)) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z'))) p++;
      return p > s ? p : NULL;
    }
  }
}

int json_get(span obj, const char *key, span *out) {
  const char *e = obj.p + obj.n;
  const char *p = ws(obj.p, e);
  if (p >= e || *p != '{') return -1;
  p = ws(p + 1, e);
  if (p < e && *p == '}') return -1;
  size_t klen = strlen(key);
  for (;;) {
    if (p >= e || *p != '"') return -1;
    const char *ks = p + 1;
    const char *kend = skip_string(p, e);
    if (!kend) return -1;
    /* keys with escapes never match: none of the keys read has one */
    int match = (size_t)(kend - 1 - ks) == klen && strncasecmp(ks, key, klen) == 0;
    p = ws(kend, e);
    if (p >= e || *p != ':') return -1;
    p = ws(p + 1, e);
    const char *vs = p;
    if (!(p = skip_value(p, e, 1))) return -1;
    if (match) { out->p = vs; out->n = (size_t)(p - vs); return 0; }
    p = ws(p, e);
    if (p >= e || *p != ',') return -1;
    p = ws(p + 1, e);
  }
}

static int hex4(const char *p, const char *e, unsigned *out) {
  if (e - p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static int put_utf8(char *out, size_t cap, size_t *k, unsigned cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) { b[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xc0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
  else if (cp < 0x10000) { b[0] = (char)(0xe0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[2] = (char)(0x80 | (cp & 0x3f)); n = 3; }
  else { b[0] = (char)(0xf0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3f)); b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (char)(0x80 | (cp & 0x3f)); n = 4; }
  if (*k + n >= cap) return -1;
  memcpy(out + *k, b, n);
  *k += n;
  return 0;
}

int json_string(span v, char *out, size_t cap) {
  const char *p = v.p, *e = v.p + v.n;
  size_t k = 0;
  if (cap == 0 || p >= e || *p != '"') return -1;
  for (p++; p < e && *p != '"'; p++) {
    unsigned cp = (unsigned char)*p;
    if (cp == '\\') {
      if (++p >= e) return -1;
      switch (*p) {
        case '"': case '\\': case '/': cp = (unsigned char)*p; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
          if (hex4(p + 1, e, &cp)) return -1;
          p += 4;
          if (cp >= 0xd800 && cp < 0xdc00) {
            unsigned lo;
            if (e - p < 7 || p[1] != '\\' || p[2] != 'u' || hex4(p + 3, e, &lo) || lo < 0xdc00 || lo >= 0xe000) return -1;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
          }
          if (put_utf8(out, cap, &k, cp)) return -1;
          continue;
        }
        default: return -1;
      }
    }
    if (k + 1 >= cap) return -1;
    out[k++] = (char)cp;
  }
  if (p >= e) return -1;
  out[k] = 0;
  return 0;
}

int json_int(span v, long *out) {
  char buf[24];
  if (v.n == 0 || v.n >= sizeof buf) return -1;
  memcpy(buf, v.p, v.n);
  buf[v.n] = 0;
  long x = 0;
  int neg = 0;
  const char *p = buf;
  if (*p == '-') { neg = 1; p++; }
  if (!*p) return -1;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    x = x * 10 + (*p - '0');
    if (x > 2147483648L) return -1;
  }
  x = neg ? -x : x;
  if (x > 2147483647L) return -1;
  *out = x;
  return 0;
}

size_t json_escape(char *buf, size_t len, size_t cap, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char tmp[8];
    size_t m;
    if (c == '"' || c == '\\') { tmp[0] = '\\'; tmp[1] = (char)c; m = 2; }
    else if (c < 0x20 || c == 0x7f) { snprintf(tmp, sizeof tmp, "\\u%04x", c); m = 6; }
    else { tmp[0] = (char)c; m = 1; }
    if (len + m >= cap) return (size_t)-1;
    memcpy(buf + len, tmp, m);
    len += m;
  }
  return len;
}
