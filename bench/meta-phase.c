/* meta-phase.c DIR N create|unlink: create+close N empty files f%07d, or unlink them.
 * One phase of shared/bench meta.c at a time, so bench/keelfs-cpu-per-op.sh can measure
 * each alone. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (chdir(argv[1])) { perror("chdir"); return 1; }
    int n = atoi(argv[2]); char a[32];
    int create = strcmp(argv[3], "create") == 0;
    for (int i = 0; i < n; i++) {
        snprintf(a, sizeof a, "f%07d", i);
        if (create) { int fd = open(a, O_CREAT|O_EXCL|O_WRONLY, 0644); if (fd < 0 || close(fd)) { perror(a); return 1; } }
        else if (unlink(a)) { perror(a); return 1; }
    }
    return 0;
}
