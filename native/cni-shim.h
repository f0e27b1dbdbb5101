// cni-shim.h — what the CNI shim's files share. The shim is the executable runtimes run as the `umacvlan` CNI plugin:
// it hands the CNI environment and stdin to the master's daemon over its control socket and prints the answer. When
// no daemon answers it does the one CNI step it performs itself, DEL (cni-shim-del.c).
#ifndef UMACVLAN_CNI_SHIM_H
#define UMACVLAN_CNI_SHIM_H

#include <stddef.h>

/* what a runtime may hand on stdin (the daemon's CNI request allowance is the same) */
#define SHIM_MAX_STDIN (1024 * 1024)
#define SHIM_CONTROL_DIR "/run/umacvlan"
#define SHIM_TOMBSTONES "cni-tombstones"

/* Prints the CNI error JSON on stdout and exits 1. */
void shim_fail(const char *version, int code, const char *msg, const char *details) __attribute__((noreturn));
/* DEL with no daemon: the link in CNI_NETNS deleted, the IPAM plugin's DEL run, a tombstone left beside `sock`.
 * Returns the exit status (0, or the IPAM plugin's failure already printed). */
int shim_del_alone(const char *sock, const char *config, size_t len, const char *version);
/* The tombstone's file name for (container ID, interface): every byte outside [A-Za-z0-9_.-] as %XX. */
int shim_tombstone_name(const char *container, const char *ifname, char *out, size_t cap);

#endif
