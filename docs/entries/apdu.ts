/**
 * Bytes to and from command and response APDUs (cases 1-4, short and extended), CLA decoding, the
 * INS catalogue with a builder per command, the one status-word table, BER-TLV, the card's codecs
 * (cn/BCD, an, GBK text, dates) and hex. Every other area builds on it; it imports nothing.
 *
 * @module sscard/apdu
 */
export * from '../../src/apdu/index.js';
