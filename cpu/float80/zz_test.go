package float80
import ("testing"; "github.com/stretchr/testify/require")
func TestZZ(t *testing.T){ require.Equal(t,1,1) }
