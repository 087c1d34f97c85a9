/* The floor under any waiter: connect to HOST:PORT once, then exec the
 * command. Built static by bench/run and timed beside waitfor in the fast
 * path; it does nothing waitfor must do besides (no retries, deadline,
 * signals or output), so it is what no waiter can beat. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) return 2;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 1;
    close(fd);
    execvp(argv[3], argv + 3);
    return 127;
}
