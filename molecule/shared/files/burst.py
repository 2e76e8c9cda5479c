"""Send N requests at once and print how many got each HTTP status, as JSON.

Usage: BURST_USER=... BURST_PASSWORD=... burst.py URL COUNT CA_FILE
"""

import base64
import collections
import json
import os
import ssl
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def main() -> None:
    url, count, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    user, password = os.environ["BURST_USER"], os.environ["BURST_PASSWORD"]
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    context = ssl.create_default_context(cafile=ca_file)

    def one() -> int:
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one) for request_number in range(count)]
        statuses = collections.Counter(future.result() for future in futures)
    print(json.dumps({str(code): n for code, n in statuses.items()}))


if __name__ == "__main__":
    main()
