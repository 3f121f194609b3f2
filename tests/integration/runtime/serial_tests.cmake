# Read by ctest after gtest_discover_tests has defined the tests (see CMakeLists.txt); the
# discovery leaves their names in runtime_directory_integration_test_TESTS (list(FIND): ctest
# reads this file with old policies, without if(TEST) or IN_LIST).
list(FIND runtime_directory_integration_test_TESTS "DirectoryPodmanTest.ThousandCreatedContainers" _oh_thousand)
if(NOT _oh_thousand EQUAL -1)
  set_tests_properties("DirectoryPodmanTest.ThousandCreatedContainers" PROPERTIES RUN_SERIAL TRUE)
endif()
