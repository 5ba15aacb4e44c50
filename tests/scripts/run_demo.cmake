# ctest: runs `scae demo`, the README's main command, into a fresh folder and checks its exit code,
# its summary and its files. -DSCAE=program -DOUT=folder
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${SCAE}" demo --out "${OUT}" --threads 2
                RESULT_VARIABLE code OUTPUT_VARIABLE summary ERROR_VARIABLE log)
message("${summary}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "scae demo exited with ${code}:\n${log}")
endif()
# Every figure of the summary is a number (a NaN or a missing field would print otherwise).
foreach(line "gene coverage +[0-9.]+\n"
             "kNN accuracy on B +foreign [0-9.]+ +native [0-9.]+ +PCA [0-9.]+\n"
             "k-means ARI on B +foreign -?[0-9.]+ +native -?[0-9.]+ +PCA -?[0-9.]+\n"
             "label transfer A->B +accuracy [0-9.]+ on [1-9][0-9]* cells"
             "denoising \\(deviance\\) +foreign [0-9.]+ +native [0-9.]+ +PCA [0-9.]+ +gene mean [0-9.]+\n"
             "planted programs found +[0-9]+ of [1-9][0-9]* shared by A and B; +[0-9]+ of [1-9][0-9]* B-only")
  if(NOT summary MATCHES "${line}")
    message(FATAL_ERROR "the demo's summary lacks a line matching '${line}'")
  endif()
endforeach()
if(summary MATCHES " -?(nan|NaN|inf|Inf)")
  message(FATAL_ERROR "the demo's summary holds a NaN or infinity")
endif()
# The method works on the simulator: most shared programs found, no B-only program claimed.
string(REGEX MATCH "found +([0-9]+) of ([0-9]+) shared by A and B; +([0-9]+) of" found "${summary}")
math(EXPR half "${CMAKE_MATCH_2} / 2")
if(CMAKE_MATCH_1 LESS_EQUAL half OR NOT CMAKE_MATCH_3 EQUAL 0)
  message(FATAL_ERROR "the demo found ${CMAKE_MATCH_1} of ${CMAKE_MATCH_2} shared programs and ${CMAKE_MATCH_3} B-only ones")
endif()
foreach(file model_A.json data/A/matrix.mtx data/B/labels.tsv data/truth.json transfer_B/report.json transfer_B/report.md
             pathways_B/scores.tsv pathways_B/heatmap.svg)
  if(NOT EXISTS "${OUT}/${file}")
    message(FATAL_ERROR "the demo did not write ${file}")
  endif()
endforeach()
# The report and the model name the demo's final folder, never the temporary one it was built in.
foreach(file transfer_B/report.json model_A.json)
  file(READ "${OUT}/${file}" text)
  if(text MATCHES "\\.partial-")
    message(FATAL_ERROR "${file} names the demo's temporary folder")
  endif()
endforeach()
