/*
 * lxcmin test package (net-misc/lxcmin-daemon): ask lxcmin-daemon once.
 *
 *   lxcmin-daemon-query [-w SECONDS] [SOCKET]
 *
 * Connects to SOCKET (default /run/lxcmin-daemon/daemon.sock), prints the daemon's answer and
 * exits 0. While the socket does not exist yet or nobody listens on it, it retries for up to
 * SECONDS (default 5), so that `lxcmin-daemon & exec lxcmin-daemon-query` works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/lxcmin-daemon/daemon.sock"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fputs("usage: lxcmin-daemon-query [-w SECONDS] [SOCKET]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval timeout = { .tv_sec = 5 };
	double wait = 5, deadline;
	char buf[512], *end;
	size_t total = 0;
	ssize_t n;
	int opt, fd = -1, err = 0;

	while ((opt = getopt(argc, argv, "w:")) != -1) {
		if (opt != 'w')
			return usage();
		wait = strtod(optarg, &end);
		if (*optarg == '\0' || *end != '\0' || wait < 0)
			return usage();
	}
	if (argc - optind > 1)
		return usage();
	if (optind < argc)
		path = argv[optind];
	if (strlen(path) >= sizeof addr.sun_path) {
		fprintf(stderr, "lxcmin-daemon-query: socket path too long: %s\n", path);
		return 2;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	deadline = now() + wait;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("lxcmin-daemon-query: socket");
			return 1;
		}
		if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		/* not there yet, or a stale socket the daemon is about to replace */
		if ((err != ENOENT && err != ECONNREFUSED && err != EAGAIN) || now() >= deadline)
			break;
		usleep(50 * 1000);
	}
	if (fd < 0) {
		fprintf(stderr, "lxcmin-daemon-query: cannot connect to %s: %s\n", path, strerror(err));
		return 1;
	}

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	while (total < sizeof buf - 1 && (n = read(fd, buf + total, sizeof buf - 1 - total)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "lxcmin-daemon-query: reading %s: %s\n", path, strerror(errno));
			close(fd);
			return 1;
		}
		total += (size_t)n;
	}
	close(fd);
	if (total == 0 || buf[total - 1] != '\n') {
		fprintf(stderr, "lxcmin-daemon-query: no complete answer from %s\n", path);
		return 1;
	}
	fwrite(buf, 1, total, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
