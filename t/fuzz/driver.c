/*
 * A main for the fuzz harnesses without libFuzzer: run the harness once
 * over each file named, or each file in each directory named (a corpus, or
 * saved crashers).  Used by 'make test' as a regression run; any compiler
 * builds it.  Prints how many inputs ran; a crash is the harness's.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, alloc = 0, n;

	if (!f) {
		fprintf(stderr, "fuzz-driver: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (alloc - len < 65536) {
			unsigned char *nb = realloc(buf, alloc + 65536);
			if (!nb) {
				fclose(f);
				free(buf);
				fprintf(stderr, "fuzz-driver: out of memory\n");
				return -1;
			}
			buf = nb;
			alloc += 65536;
		}
		n = fread(buf + len, 1, alloc - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "fuzz-driver: cannot read '%s'\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int run_path(const char *path, size_t *count)
{
	struct stat st;
	struct dirent **names;
	int n, i, ret = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz-driver: cannot stat '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "fuzz-driver: cannot list '%s': %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			size_t l = strlen(path) + strlen(names[i]->d_name) + 2;
			char *p = malloc(l);
			if (!p || (snprintf(p, l, "%s/%s", path, names[i]->d_name),
				   run_path(p, count) < 0))
				ret = -1;
			free(p);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, ret = 0;

	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			ret = 1;
	printf("%zu inputs\n", count);
	return ret;
}
