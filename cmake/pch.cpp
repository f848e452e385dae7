// Host unit of the precompiled headers (cmake/Pch.cmake).
