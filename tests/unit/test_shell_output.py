"""The shell server's output buffer: head and tail kept, the middle counted, the marker never lost."""

import importlib.util

from forager.paths import PACKAGE_DIR

spec = importlib.util.spec_from_file_location("shell_server", PACKAGE_DIR / "images/helpers/shell_server.py")
shell_server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shell_server)


def test_small_output_is_kept_whole_and_cut_at_the_end():
    out = shell_server.Output(2000)
    out.add(b"hello\n__END__")
    assert out.dropped == 0
    assert out.finish(cut=len(b"__END__")) == (b"hello\n", b"")


def test_large_output_keeps_head_and_tail():
    out = shell_server.Output(1000)
    for i in range(1000):
        out.add(f"line {i}\n".encode())
    head, tail = out.finish()
    assert head.startswith(b"line 0\n") and tail.endswith(b"line 999\n")
    assert out.dropped > 0 and len(head) + len(tail) + out.dropped == sum(len(f"line {i}\n") for i in range(1000))


def test_window_sees_across_head_and_tail():
    out = shell_server.Output(1024)
    out.add(b"a" * 510)
    out.add(b"bcdefg")
    assert out.window(8) == b"aabcdefg"
