# check_golden.cmake -- runs `wsmock check FILE` and compares its diagnostics with FILE's .expected.
# Usage: cmake -DWSMOCK=... -DFILE=bad/x.json -DEXPECTED=bad/x.expected -P check_golden.cmake
# (run in scenarios/tests so the file names in the messages are relative).
execute_process(COMMAND ${WSMOCK} check ${FILE} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
file(READ ${EXPECTED} want)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "wsmock check ${FILE}: exit ${rc}, expected 2 (refused)")
endif()
if(NOT err STREQUAL want)
  message(FATAL_ERROR "wsmock check ${FILE}: diagnostics differ\n--- expected\n${want}--- got\n${err}")
endif()
