/* lxcmin test package: a tiny C program built from source in src_compile. */
#include <stdio.h>
#include <unistd.h>

#define EXTRA_DATA "/usr/share/lxcmin-extra/payload.bin"

int main(int argc, char **argv)
{
	printf("Hello from lxcmin-hello %s\n", LXCMIN_HELLO_VERSION);
	printf("extra: %s\n", access(EXTRA_DATA, R_OK) == 0 ? "yes" : "no");
	for (int i = 1; i < argc; i++)
		printf("arg: %s\n", argv[i]);
	return 0;
}
