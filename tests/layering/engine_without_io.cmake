# ctest entry layering.engine_without_io: the relay engine (relay/engine/) is sans-I/O. It may
# not include libuv, OpenSSL's TLS or BIO headers, sockets, or the daemon's net/ and ops/ code:
# the fuzzer and the simulation tests run it with no network. (MD5, HMAC and random numbers
# come from common/, over OpenSSL's libcrypto.) Run: cmake -DSOURCE_DIR=<repo> -P this-file.
file(GLOB engine_files "${SOURCE_DIR}/relay/engine/*.h" "${SOURCE_DIR}/relay/engine/*.cc")
if(NOT engine_files)
  message(FATAL_ERROR "no files in ${SOURCE_DIR}/relay/engine")
endif()
set(forbidden "<uv\\.h>" "<openssl/ssl\\.h>" "<openssl/bio\\.h>" "<sys/socket\\.h>" "<netinet/"
    "<arpa/inet\\.h>" "\"relay/net/" "\"relay/ops/")
set(problems "")
foreach(f ${engine_files})
  file(STRINGS "${f}" includes REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${includes})
    foreach(pattern ${forbidden})
      if(line MATCHES "${pattern}")
        string(APPEND problems "\n  ${f}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "the engine must not do I/O; it includes:${problems}")
endif()
list(LENGTH engine_files n)
message(STATUS "relay/engine: ${n} files, no I/O includes")
