{
  "targets": [
    {
      "target_name": "umacvlan",
      "sources": ["native/addon.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      "cflags_cc": ["-O2", "-fstack-protector-strong", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
