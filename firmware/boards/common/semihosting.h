/* Arm semihosting, used by the QEMU boards to end with an exit status. */
#ifndef HIL_SEMIHOSTING_H
#define HIL_SEMIHOSTING_H

void semihosting_exit(int code) __attribute__((noreturn));

#endif
