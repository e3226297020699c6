/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unix-socket: the Unix socket addresses the examples listen on and
 * connect to, with the path-length check each one needs. */
#ifndef EXAMPLES_UNIX_SOCKET_H
#define EXAMPLES_UNIX_SOCKET_H

#include <sys/un.h>

/* Fill sa with path: 0, or -ENAMETOOLONG when sun_path cannot hold it. */
int example_unix_address(const char *path, struct sockaddr_un *sa);

/* A stream socket connected to path: the fd, or a negative errno. */
int example_unix_connect(const char *path);

#endif
