/*
 * RP2040 second-stage boot loader (boot2): the bootrom copies the first 256 bytes of flash to
 * SRAM, checks their CRC-32 and runs them. This one sets the XIP SSI up for plain serial reads
 * (03h command: works with any SPI NOR flash, slower than quad modes) and then vectors into the
 * image's vector table right after it (flash + 0x100). The last word is the CRC-32 (polynomial
 * 0x04C11DB7, initial value 0xFFFFFFFF, no reflection, no final XOR) of the 252 bytes before it;
 * tests/board/test_boards.py assembles this file and checks the word.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .section .boot2, "ax"
    .global tm_boot2
    .type tm_boot2, %function
tm_boot2:
    push {lr}
    ldr r3, =0x18000000            @ XIP_SSI_BASE
    movs r1, #0
    str r1, [r3, #0x08]            @ SSIENR = 0: disable to configure
    movs r1, #4
    str r1, [r3, #0x14]            @ BAUDR: clk_sys / 4
    ldr r1, =((31 << 16) | (3 << 8))
    str r1, [r3, #0x00]            @ CTRLR0: 32-bit frames, TMOD = EEPROM read, standard SPI
    ldr r1, =((0x03 << 24) | (2 << 8) | (6 << 2))
    movs r0, #0xf4
    str r1, [r3, r0]               @ SPI_CTRLR0: XIP command 03h, 8-bit instruction, 24-bit address
    movs r1, #0
    str r1, [r3, #0x04]            @ CTRLR1: NDF = 0 (one word per transfer)
    movs r1, #1
    str r1, [r3, #0x08]            @ SSIENR = 1
    pop {r0}
    cmp r0, #0                     @ entered from the bootrom: lr was 0
    beq 1f
    bx r0
1:  ldr r0, =0x10000100            @ the image's vector table
    ldr r1, =0xe000ed08            @ VTOR
    str r0, [r1]
    ldmia r0, {r0, r1}
    msr msp, r0
    bx r1
    .ltorg

    .org 252
    .word 0xa6d7127c               @ CRC-32 of bytes 0..251 (see above)
