/* lxcmin test distfile: app-misc/lxcmin-fetched (fetched over HTTP, compiled in src_compile). */
#include <stdio.h>

#ifndef LXCMIN_FETCHED_VERSION
#define LXCMIN_FETCHED_VERSION "unknown"
#endif

int main(void)
{
	puts("fetched: ok");
	puts("version: " LXCMIN_FETCHED_VERSION);
	return 0;
}
