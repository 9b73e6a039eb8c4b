# Fails when a test case of SUITE carries none of the tags that CTest runs by.
execute_process(COMMAND ${SUITE} "~[unit]~[model]~[ui]~[slow]" --list-test-names-only
                OUTPUT_VARIABLE untagged RESULT_VARIABLE status)
string(STRIP "${untagged}" untagged)
if(untagged)
  message(FATAL_ERROR "test cases without a [unit], [model], [ui] or [slow] tag:\n${untagged}")
endif()
