# Installation layout and the Debian package (CPack DEB): poolwarden_<version>_amd64.deb.
include(GNUInstallDirs)

install(TARGETS poolwarden RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET poolwarden-sim)
    install(TARGETS poolwarden-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(FILES systemd/poolwarden.service DESTINATION /lib/systemd/system)
install(FILES config/poolwarden.yaml DESTINATION /etc/poolwarden)
install(DIRECTORY DESTINATION /etc/poolwarden/pools.d)
install(DIRECTORY config/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/poolwarden/examples
        PATTERN "client-secret" EXCLUDE)
install(FILES config/poolwarden.schema.json config/pool-file.schema.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/poolwarden OPTIONAL)
install(DIRECTORY deploy/ DESTINATION ${CMAKE_INSTALL_DATADIR}/poolwarden/deploy OPTIONAL)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES packaging/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian wants a gzipped changelog (reproducible: no name or time stamp in the gzip header).
execute_process(COMMAND gzip -n -9 -c ${PROJECT_SOURCE_DIR}/packaging/changelog
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME poolwarden)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "poolwarden maintainers <maintainers@poolwarden.example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "reconciliation daemon for Azure Batch pools and Compute Gallery replicas")
set(CPACK_PACKAGE_DESCRIPTION
    "poolwarden keeps Azure Batch pools built from Azure Compute Gallery images in line with
declarative YAML pool files: it raises image replicas (one per 300 VMs) and waits for
replication before growing a pool, and sets resizeTimeout from the pool's size. It ships a
local Azure simulator (poolwarden-sim) for trying pool files without an Azure subscription.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/poolwarden")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
