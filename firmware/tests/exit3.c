/* Returns 3 from main: the exit code must reach the platform. */
#include <stdio.h>

int main(void) {
  printf("exiting with 3\n");
  return 3;
}
