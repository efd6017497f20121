"""The X media sandbox as its own process for the benchmark (prints ``PORT n``).

Started through this module rather than ``-m oneall_push.sandbox.xmedia``: importing the
``oneall_push.sandbox`` package already imports that module, which runpy warns about.
"""

from oneall_push.sandbox.xmedia import main

if __name__ == "__main__":
    main()
