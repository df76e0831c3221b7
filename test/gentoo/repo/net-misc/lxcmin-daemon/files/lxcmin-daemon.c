/*
 * lxcmin test package (net-misc/lxcmin-daemon): a small service on a unix socket.
 *
 *   lxcmin-daemon [-f | -b] [-c FILE]
 *
 * Reads FILE (default /etc/lxcmin-daemon.conf: greeting, socket, state, user). Started as root,
 * it creates the socket's directory, gives it to the configured user and becomes that user;
 * started as any other user, it runs as that user. Every connection gets one line,
 * "<greeting> (request N, uid U)", and is closed; N is counted in the state file.
 *
 * -f (the default) stays in the foreground, logs to stderr and stops when the process that
 * started it exits: lxc-execute's init waits for every process, so in
 * `/bin/sh -c 'lxcmin-daemon & exec lxcmin-daemon-query'` the container ends with the query.
 * As the container's init (lxc.init.cmd) it runs until stopped. -b goes to the background once
 * the socket listens (and logs nothing). SIGTERM, SIGINT, SIGHUP and SIGPWR (lxc-stop's) stop it
 * and remove the socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef LXCMIN_DAEMON_VERSION
#define LXCMIN_DAEMON_VERSION "dev"
#endif
#define DEFAULT_CONFIG "/etc/lxcmin-daemon.conf"
#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

struct config {
	char greeting[256];
	char socket[SUN_PATH_SIZE];
	char state[PATH_MAX - 8]; /* room for ".tmp" */
	char user[64];
};

static volatile sig_atomic_t stop_signal;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lxcmin-daemon: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static char *trim(char *s)
{
	char *end;
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]))
		*--end = '\0';
	return s;
}

static int set_value(char *dst, size_t size, const char *value, const char *file, int line, const char *key)
{
	size_t len = strlen(value);
	if (len >= size) {
		logmsg("%s:%d: %s is too long (at most %zu bytes)", file, line, key, size - 1);
		return -1;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

/* "key = value" lines; '#' starts a comment line. Unknown keys are errors. */
static int read_config(const char *file, struct config *cfg)
{
	char buf[1024];
	int line = 0, rc = 0;
	FILE *f = fopen(file, "r");

	if (!f) {
		logmsg("cannot read %s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof buf, f)) {
		char *s, *eq, *key, *value;
		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			logmsg("%s:%d: line too long", file, line);
			rc = -1;
			break;
		}
		s = trim(buf);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			logmsg("%s:%d: expected 'key = value'", file, line);
			rc = -1;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		if (strcmp(key, "greeting") == 0)
			rc |= set_value(cfg->greeting, sizeof cfg->greeting, value, file, line, key);
		else if (strcmp(key, "socket") == 0)
			rc |= set_value(cfg->socket, sizeof cfg->socket, value, file, line, key);
		else if (strcmp(key, "state") == 0)
			rc |= set_value(cfg->state, sizeof cfg->state, value, file, line, key);
		else if (strcmp(key, "user") == 0)
			rc |= set_value(cfg->user, sizeof cfg->user, value, file, line, key);
		else {
			logmsg("%s:%d: unknown key '%s' (known: greeting, socket, state, user)", file, line, key);
			rc = -1;
		}
	}
	if (ferror(f)) {
		logmsg("cannot read %s: %s", file, strerror(errno));
		rc = -1;
	}
	fclose(f);
	if (cfg->socket[0] != '/' || cfg->state[0] != '/') {
		logmsg("%s: socket and state must be absolute paths", file);
		rc = -1;
	}
	if (cfg->user[0] == '\0') {
		logmsg("%s: user must not be empty", file);
		rc = -1;
	}
	return rc;
}

/* getpwnam, and if NSS finds nothing (no nsswitch.conf, no NSS modules), /etc/passwd itself. */
static int find_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	FILE *f;

	errno = 0;
	pw = getpwnam(name);
	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	f = fopen("/etc/passwd", "r");
	if (f) {
		while ((pw = fgetpwent(f)))
			if (strcmp(pw->pw_name, name) == 0)
				break;
		if (pw) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		}
		fclose(f);
		if (pw)
			return 0;
	}
	logmsg("no user '%s' in /etc/passwd", name);
	return -1;
}

static int mkdir_p(const char *dir)
{
	char path[SUN_PATH_SIZE];
	size_t i, len = strlen(dir);

	if (len >= sizeof path)
		return -1;
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			logmsg("cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		path[i] = dir[i];
	}
	return 0;
}

/* As root: the socket's directory exists, is a directory and (unless shared) belongs to the user. */
static int prepare_socket_dir(const char *socket_path, uid_t uid, gid_t gid)
{
	static const char *const shared[] = { "/", "/run", "/var/run", "/tmp", "/var/tmp" };
	char dir[SUN_PATH_SIZE];
	char *slash;
	struct stat st;
	size_t i;

	memcpy(dir, socket_path, strlen(socket_path) + 1);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir_p(dir) != 0)
		return -1;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		logmsg("%s is not a directory", dir);
		return -1;
	}
	for (i = 0; i < sizeof shared / sizeof shared[0]; i++)
		if (strcmp(dir, shared[i]) == 0)
			return 0;
	if ((st.st_uid != uid || st.st_gid != gid) && chown(dir, uid, gid) != 0) {
		logmsg("cannot chown %s to %u:%u: %s", dir, (unsigned)uid, (unsigned)gid, strerror(errno));
		return -1;
	}
	return 0;
}

static int drop_privileges(const char *user, uid_t uid, gid_t gid)
{
	/* initgroups needs the group database; without one the user keeps only its primary group */
	if (initgroups(user, gid) != 0 && setgroups(1, &gid) != 0) {
		logmsg("cannot set the groups of %s: %s", user, strerror(errno));
		return -1;
	}
	if (setgid(gid) != 0 || setuid(uid) != 0) {
		logmsg("cannot become %s (%u:%u): %s", user, (unsigned)uid, (unsigned)gid, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || geteuid() != uid)) {
		logmsg("still privileged after dropping to %s", user);
		return -1;
	}
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	if (lstat(path, &st) == 0) {
		/* left behind by a daemon that did not stop cleanly, or another one still running */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int alive = probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0;
		if (probe >= 0)
			close(probe);
		if (!S_ISSOCK(st.st_mode) || alive) {
			logmsg("%s exists and is %s", path, alive ? "answered by another daemon" : "not a socket");
			close(fd);
			return -1;
		}
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(path, 0666) != 0 ||
	    listen(fd, 16) != 0) {
		logmsg("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned long read_count(const char *state)
{
	unsigned long n = 0;
	FILE *f = fopen(state, "r");

	if (!f) {
		if (errno != ENOENT)
			logmsg("cannot read %s: %s (counting from 0)", state, strerror(errno));
		return 0;
	}
	if (fscanf(f, "%lu", &n) != 1) {
		logmsg("%s holds no count (counting from 0)", state);
		n = 0;
	}
	fclose(f);
	return n;
}

/* The count goes to <state>.tmp, renamed over <state>: never a half-written file. */
static void write_count(const char *state, unsigned long n)
{
	char tmp[PATH_MAX], text[32];
	int fd, ok, len = snprintf(text, sizeof text, "%lu\n", n);

	snprintf(tmp, sizeof tmp, "%s.tmp", state);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		logmsg("cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	ok = write(fd, text, (size_t)len) == len;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, state) != 0) {
		logmsg("cannot write %s: %s", state, strerror(errno));
		unlink(tmp);
	}
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int usage(FILE *out, int status)
{
	fprintf(out, "usage: lxcmin-daemon [-f | -b] [-c FILE]\n"
		     "  -c FILE  configuration (default " DEFAULT_CONFIG ")\n"
		     "  -f       foreground (default): log to stderr, stop when the starting process exits\n"
		     "  -b       go to the background once the socket listens\n"
		     "  -V       print the version\n");
	return status;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.greeting = "Hello from lxcmin-daemon",
		.socket = "/run/lxcmin-daemon/daemon.sock",
		.state = "/var/lib/lxcmin-daemon/count",
		.user = "lxcmin-daemon",
	};
	const char *config_file = DEFAULT_CONFIG;
	pid_t parent = getppid();
	int opt, background = 0, fd;
	unsigned long count;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGPWR };
	size_t i;

	while ((opt = getopt(argc, argv, "c:fbVh")) != -1) {
		switch (opt) {
		case 'c': config_file = optarg; break;
		case 'f': background = 0; break;
		case 'b': background = 1; break;
		case 'V': printf("lxcmin-daemon %s\n", LXCMIN_DAEMON_VERSION); return 0;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
	}
	if (optind != argc)
		return usage(stderr, 2);
	if (read_config(config_file, &cfg) != 0)
		return 1;

	if (geteuid() == 0) {
		uid_t uid;
		gid_t gid;
		if (find_user(cfg.user, &uid, &gid) != 0 || prepare_socket_dir(cfg.socket, uid, gid) != 0 ||
		    drop_privileges(cfg.user, uid, gid) != 0)
			return 1;
	}

	/* stop signals are only delivered inside ppoll: no stop is lost between check and wait */
	sigemptyset(&block);
	for (i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
		sigaddset(&block, stop_signals[i]);
		sigaction(stop_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &orig);
	signal(SIGPIPE, SIG_IGN);
	/* after the credentials changed (that clears it); a parent already gone is noticed below */
	if (!background && prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		logmsg("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
	if (!background && getppid() != parent) {
		logmsg("the process that started it has exited");
		return 0;
	}

	fd = listen_on(cfg.socket);
	if (fd < 0)
		return 1;
	count = read_count(cfg.state);
	logmsg("listening on %s as uid %u gid %u (version %s, request count %lu)", cfg.socket,
	       (unsigned)getuid(), (unsigned)getgid(), LXCMIN_DAEMON_VERSION, count);

	if (background) {
		pid_t pid = fork();
		int null;
		if (pid < 0) {
			logmsg("fork: %s", strerror(errno));
			return 1;
		}
		if (pid > 0)
			_exit(0);
		setsid();
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}

	while (!stop_signal) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char line[sizeof cfg.greeting + 64];
		int conn, len;

		if (ppoll(&p, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			break;
		}
		conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				logmsg("accept: %s", strerror(errno));
			continue;
		}
		/* counted once answered: a peer that is gone already (a probe) is no request */
		len = snprintf(line, sizeof line, "%s (request %lu, uid %u)\n", cfg.greeting, count + 1,
			       (unsigned)getuid());
		if (write(conn, line, (size_t)len) == len) {
			count++;
			write_count(cfg.state, count);
			logmsg("request %lu answered", count);
		} else {
			logmsg("request %lu: cannot answer: %s", count + 1, strerror(errno));
		}
		close(conn);
	}
	if (stop_signal)
		logmsg("stopping (signal %d)", (int)stop_signal);
	close(fd);
	unlink(cfg.socket);
	return stop_signal ? 0 : 1;
}
