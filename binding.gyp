{
  "targets": [
    {
      "target_name": "umacvlan",
      "sources": [
        "native/addon.cc",
        "native/engine.cc",
        "native/wait.cc",
        "native/send.cc",
        "native/parent-ring.cc",
        "native/parent-send.cc",
        "native/tap-pool.cc",
        "native/uring.cc",
        "native/netns.cc",
        "native/tap.cc",
        "native/tap-identity.cc",
        "native/netns-pin.cc",
        "native/link.cc",
        "native/sys.cc",
        "native/peer-cred.cc",
        "native/watch.cc",
        "native/bpf.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "cflags_cc": [
        "-O2",
        "-fstack-protector-strong",
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "ldflags": [
        "-pthread"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ]
    },
    {
      "target_name": "umacvlan_test",
      "sources": [
        "native/test-addon.cc",
        "native/netns.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "cflags_cc": [
        "-O2",
        "-fstack-protector-strong",
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ],
      "ldflags": [
        "-pthread"
      ],
      "defines": [
        "NAPI_VERSION=8"
      ]
    },
    {
      "target_name": "cni-shim",
      "type": "executable",
      "sources": [
        "native/cni-shim.c",
        "native/cni-shim-json.c",
        "native/cni-shim-del.c"
      ],
      "cflags": [
        "-O2",
        "-fstack-protector-strong",
        "-std=gnu11",
        "-Wall",
        "-Wextra"
      ],
      "ldflags": [
        "-static"
      ]
    }
  ]
}
