"""The serial half of tinymem: the one device protocol (docs/serial-protocol.md), the host client
(`DeviceClient`), the host build of the device agent, and flashing (ST AN3155 UART bootloader).

    from tinymem.serial import DeviceClient
    with DeviceClient("socket://localhost:4321") as dev:
        outputs, cycles = dev.run([x])
"""

from tinymem.serial.client import (DeviceClient, DeviceDisconnected, DeviceError, DeviceErrorResponse,
                                   DeviceTimeout, ProtocolError, RunResult, run_on_device)

__all__ = ["DeviceClient", "DeviceError", "DeviceTimeout", "DeviceDisconnected", "DeviceErrorResponse",
           "ProtocolError", "RunResult", "run_on_device"]
