#!/usr/bin/python3
"""The bench's paired PC/SC client: two cards, each in a reader of its own, both connected (shared)
at once; SELECT MF goes to one and then the other, the order turning every APDU, N times each. So
both cards are measured over the same seconds, under the same load, instead of one after the
other. Prints one JSON object: each reader's median and p99 round trip (ms) and the median of the
paired differences (second minus first, ms).

  pyscard-paired.py 'Virtual PCD 00 00' 'Virtual PCD 00 01' 2000
"""
import json
import sys
import time

from smartcard import scard


def main():
    readers = sys.argv[1:3]
    n = int(sys.argv[3])
    rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rc != scard.SCARD_S_SUCCESS:
        raise SystemExit(f"SCardEstablishContext: {scard.SCardGetErrorMessage(rc)}")
    cards = []
    try:
        for reader in readers:
            rc, card, proto = scard.SCardConnect(
                ctx, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            if rc != scard.SCARD_S_SUCCESS:
                raise SystemExit(f"SCardConnect {reader}: {scard.SCardGetErrorMessage(rc)}")
            cards.append((card, scard.SCARD_PCI_T0 if proto == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1))
        apdu = list(bytes.fromhex("00A4000C023F00"))
        times = [[], []]
        for i in range(n):
            for k in ((0, 1) if i % 2 == 0 else (1, 0)):
                card, pci = cards[k]
                t = time.perf_counter_ns()
                rc, response = scard.SCardTransmit(card, pci, apdu)
                times[k].append((time.perf_counter_ns() - t) / 1e6)
                if rc != scard.SCARD_S_SUCCESS or response[-2:] != [0x90, 0x00]:
                    raise SystemExit(f"SCardTransmit {readers[k]}: {scard.SCardGetErrorMessage(rc)} {response}")
        diffs = sorted(b - a for a, b in zip(times[0], times[1]))
        out = {"diffMedianMs": diffs[len(diffs) // 2]}
        for k, key in ((0, "first"), (1, "second")):
            s = sorted(times[k])
            out[key] = {"medianMs": s[len(s) // 2], "p99Ms": s[min(len(s) - 1, (len(s) * 99) // 100)]}
        print(json.dumps(out))
    finally:
        for card, _ in cards:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(ctx)


if __name__ == "__main__":
    main()
